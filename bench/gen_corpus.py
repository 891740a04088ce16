"""Write a synthetic Terraform corpus for benchmarks: N files in folders of 100, each a valid module.

usage: python gen_corpus.py OUT_DIR N   (deterministic: the same N gives the same files)
Every file holds two variables, a KMS key, one aws_kinesis_stream (encryption picked from five variants:
KMS + alias/aws/kinesis, KMS + a key reference, missing, NONE, variables with defaults), and four other resources.
"""

import os
import random
import sys

random.seed(42)
out = sys.argv[1]
n = int(sys.argv[2])
os.makedirs(out, exist_ok=True)
ENC = [
 ('  encryption_type = "KMS"\n  kms_key_id      = "alias/aws/kinesis"\n', 'pass'),
 ('  encryption_type = "KMS"\n  kms_key_id      = aws_kms_key.k{i}.arn\n', 'pass'),
 ('', 'fail'),
 ('  encryption_type = "NONE"\n', 'fail'),
 ('  encryption_type = var.enc_{i}\n  kms_key_id      = var.kms_{i}\n', 'unknown'),
]
def one(i):
    enc, _ = random.choice(ENC)
    enc = enc.replace("{i}", str(i))
    return f'''# file {i}
variable "enc_{i}" {{
  type    = string
  default = "KMS"
}}

variable "kms_{i}" {{
  type    = string
  default = "alias/aws/kinesis"
}}

resource "aws_kms_key" "k{i}" {{
  description         = "key {i}"
  enable_key_rotation = true
}}

resource "aws_kinesis_stream" "s{i}" {{
  name             = "stream-{i}"
  shard_count      = {random.randint(1,4)}
  retention_period = 24
{enc}  tags = {{
    Env  = "prod"
    Team = "data"
  }}
}}

resource "aws_s3_bucket" "b{i}" {{
  bucket = "bucket-{i}"
}}

resource "aws_security_group" "sg{i}" {{
  name = "sg-{i}"
  ingress {{
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"]
  }}
}}

resource "aws_iam_role" "r{i}" {{
  name               = "role-{i}"
  assume_role_policy = jsonencode({{ Version = "2012-10-17", Statement = [] }})
}}
'''
for i in range(n):
    d = os.path.join(out, f"m{i//100:02d}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"f{i:04d}.tf"), "w") as f:
        f.write(one(i))
