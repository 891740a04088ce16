output "member_role_arn" {
  description = "ARN of the member role."
  value       = aws_iam_role.member.arn
}
