"""Terraform/OpenTofu source: HCL and .tf.json modules, evaluated as Terraform would, into the model."""
