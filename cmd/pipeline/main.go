package main

import (
	"os"

	"github.com/pipeline-compiler/pipeline/cmd/pipeline/internal/command"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = "v0.1.0-dev"

func main() {
	os.Exit(command.Run(os.Args[1:], &command.Meta{
		Stdout:     os.Stdout,
		Stderr:     os.Stderr,
		Stdin:      os.Stdin,
		Env:        os.Environ(),
		Version:    version,
		Interrupts: command.NewInterrupts(os.Stderr, os.Exit),
	}))
}
