// Package command implements the pipeline CLI's subcommands.
//
// Each command reads its arguments with the standard flag package (so flags
// are written -json, -out FILE, and --json works too), writes to the
// io.Writers in Meta, and returns an exit status; none of them touch
// os.Stdout, os.Exit or the process environment, so they are tested directly.
// Subcommand dispatch and help are github.com/hashicorp/cli, as in Terraform.
//
// Exit statuses: 0 success, 1 error, 2 (plan -detailed-exitcode) changes,
// 3 (fmt -check) files need formatting.
//
// It must not know operator semantics or how backends run: it loads specs
// with lang, plans with optimizer and renders with diagfmt and planfmt.
package command
