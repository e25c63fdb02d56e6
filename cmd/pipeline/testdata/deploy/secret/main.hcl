# A pipeline whose native stage needs a sensitive variable: workers must
# be given it themselves (-var, -var-file or PIPELINE_VAR_token).
pipeline "guarded" {}

variable "broker" {
  type = string
}

variable "token" {
  type      = string
  sensitive = true
}

broker "main" {
  brokers = [var.broker]
}

source "requests" {
  topic  = "requests"
  schema = object({ token = string, path = string })
}

filter "authorized" {
  input = source.requests
  where = record.token == var.token
}

sink "authorized" {
  input = filter.authorized
  topic = "authorized-requests"
}
