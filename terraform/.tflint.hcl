# tflint configuration for every module and example (test/terraform runs
# tflint with it). The terraform ruleset is bundled in tflint, so nothing is
# downloaded; the AWS ruleset plugin is not used (no plugin download here;
# the offline schema checker covers arguments and types).
config {
  call_module_type = "local"
  force            = false
}

plugin "terraform" {
  enabled = true
  preset  = "recommended"
}

rule "terraform_documented_variables" {
  enabled = true
}

rule "terraform_documented_outputs" {
  enabled = true
}

rule "terraform_typed_variables" {
  enabled = true
}

rule "terraform_naming_convention" {
  enabled = true
}

rule "terraform_standard_module_structure" {
  enabled = true
}
