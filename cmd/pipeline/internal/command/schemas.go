package command

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/pipeline-compiler/pipeline/internal/schemalock"
	"github.com/pipeline-compiler/pipeline/internal/schemareg"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/lang"
)

// SchemasCommand is `pipeline schemas pull`: it contacts the spec's
// Schema Registries and rewrites the lock file every other command reads
// schemas from.
type SchemasCommand struct{ *Meta }

func (c *SchemasCommand) Synopsis() string { return "Pin Schema Registry schemas in the lock file" }

func (c *SchemasCommand) Help() string {
	return help("schemas pull [options] [PATH]", `
Contacts the Schema Registries of the spec at PATH (default ".") and
rewrites `+schemalock.FileName+` beside it: for each subject a schema-format
source reads, its latest version (or the schema_version it names) and its
other recent versions (the schemas older records were written with); for
each subject a sink writes, its latest version and compatibility level.
validate, plan and test read schemas only from this file, so check it in.
Prints what changed.`, varOptions...)
}

func (c *SchemasCommand) Run(args []string) int {
	if len(args) == 0 || args[0] != "pull" {
		return c.usageError("schemas", "the schemas subcommand is pull: pipeline schemas pull [PATH]")
	}
	fs := c.newFlagSet("schemas pull")
	var v varFlags
	v.register(fs)
	pos, err := parse(fs, args[1:])
	if err != nil {
		return 1
	}
	path, ok := optionalPath(pos)
	if !ok {
		return c.usageError("schemas", "schemas pull takes one PATH, got %d arguments", len(pos))
	}
	lockPath := schemalock.Path(path)
	old, err := schemalock.Read(lockPath)
	if err != nil {
		// A broken lock file is rebuilt from the registries.
		fmt.Fprintf(c.Stderr, "warning: %v; rewriting it\n", err)
		old = schemalock.New()
	}
	opts := v.options(c.Meta)
	opts.Lock, opts.Pull = old, true
	load := c.Load
	if load == nil {
		load = lang.Load
	}
	res, diags := load(path, opts)
	if diags.HasErrors() || res == nil || res.Pipeline == nil {
		var files map[string]*hcl.File
		if res != nil {
			files = res.Files
		}
		c.showDiags(diags, files)
		return 1
	}
	next, err := pull(context.Background(), res.Pipeline, res.Subjects, 30*time.Second)
	if err != nil {
		c.showDiags(diagsOf(errorDiag("Cannot pull schemas: %v", err)), nil)
		return 1
	}
	if err := next.Write(lockPath); err != nil {
		c.showDiags(diagsOf(errorDiag("Cannot write the lock file: %v", err)), nil)
		return 1
	}
	changes := schemalock.Changes(old, next)
	if len(changes) == 0 {
		fmt.Fprintf(c.Stdout, "%s is up to date.\n", lockPath)
		return 0
	}
	fmt.Fprintf(c.Stdout, "Updated %s:\n", lockPath)
	for _, ch := range changes {
		fmt.Fprintf(c.Stdout, "  %s\n", ch)
	}
	return 0
}

// pull builds a lock pinning every subject refs names.
func pull(ctx context.Context, p *ir.Pipeline, refs []lang.SchemaRef, timeout time.Duration) (*schemalock.Lock, error) {
	lock := schemalock.New()
	clients := map[string]*schemareg.Client{}
	for _, ref := range refs {
		cl := clients[ref.Registry]
		if cl == nil {
			reg := p.SchemaRegistry(ref.Registry)
			if reg == nil {
				return nil, fmt.Errorf("no schema_registry %q", ref.Registry)
			}
			var err error
			if cl, err = schemareg.New(reg, timeout); err != nil {
				return nil, err
			}
			clients[ref.Registry] = cl
		}
		pin := lock.Subject(ref.Registry, ref.Subject)
		if pin == nil || (ref.Source && pin.Latest != nil && len(pin.Versions) == 0) {
			var err error
			if pin, err = cl.Pull(ctx, ref.Subject, ref.Source); err != nil {
				return nil, err
			}
			lock.SetSubject(ref.Registry, ref.Subject, pin)
		}
		if ref.Version != 0 && pin.Version(ref.Version) == nil {
			doc, err := cl.Version(ctx, ref.Subject, ref.Version)
			if err != nil {
				return nil, err
			}
			if doc == nil {
				return nil, fmt.Errorf("schema_registry %q: subject %s has no version %d", ref.Registry, ref.Subject, ref.Version)
			}
			pin.Versions = append(pin.Versions, doc)
		}
		if ref.Source && pin.Latest == nil {
			return nil, fmt.Errorf("schema_registry %q: subject %s does not exist (a source reads it)", ref.Registry, ref.Subject)
		}
	}
	return lock, nil
}

// staleSchemaPins warns, best effort, about pinned subjects whose latest
// version in the registry is newer than the pin. A registry that cannot be
// reached within the short timeout is skipped silently: plan never fails
// offline.
func staleSchemaPins(p *ir.Pipeline) hcl.Diagnostics {
	if p == nil || len(p.SchemaRegistries) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var diags hcl.Diagnostics
	clients := map[string]*schemareg.Client{}
	checked := map[string]bool{}
	for _, op := range p.Operators {
		src := op.Source
		if src == nil || src.SchemaSubject == "" || src.SchemaVersion != 0 || src.SchemaDoc == nil {
			continue
		}
		reg, subject := src.SchemaRegistry, src.SchemaSubject
		if checked[reg+"/"+subject] || ctx.Err() != nil {
			continue
		}
		checked[reg+"/"+subject] = true
		cl := clients[reg]
		if cl == nil {
			r := p.SchemaRegistry(reg)
			if r == nil {
				continue
			}
			var err error
			if cl, err = schemareg.New(r, 2*time.Second); err != nil {
				continue
			}
			clients[reg] = cl
		}
		latest, err := cl.Version(ctx, subject, -1)
		if err != nil || latest == nil {
			continue
		}
		pinnedVersion := src.SchemaDoc.Version
		if latest.Version > pinnedVersion {
			r := op.Range.HCL()
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagWarning,
				Summary:  "Pinned schema is older than the registry's latest",
				Detail:   fmt.Sprintf("%s reads %s version %d from %s, but the registry's latest is version %d. Run `pipeline schemas pull` to update the pin.", op.ID, subject, pinnedVersion, schemalock.FileName, latest.Version),
				Subject:  &r,
			})
		}
	}
	return diags
}

// registerSinkSchemas registers (or finds) the schema of every
// schema-format sink under its subject and sets the ID its records are
// framed with. It reports whether any ID changed.
func registerSinkSchemas(ctx context.Context, p *ir.Plan) (bool, error) {
	if p == nil || p.Pipeline == nil {
		return false, nil
	}
	changed := false
	clients := map[string]*schemareg.Client{}
	for _, op := range p.Pipeline.Operators {
		s := op.Sink
		if s == nil || s.SchemaDoc == nil || s.SchemaRegistry == "" {
			continue
		}
		cl := clients[s.SchemaRegistry]
		if cl == nil {
			r := p.Pipeline.SchemaRegistry(s.SchemaRegistry)
			if r == nil {
				return false, fmt.Errorf("%s: no schema_registry %q", op.ID, s.SchemaRegistry)
			}
			var err error
			if cl, err = schemareg.New(r, 30*time.Second); err != nil {
				return false, err
			}
			clients[s.SchemaRegistry] = cl
		}
		doc, err := cl.Register(ctx, s.SchemaSubject, s.SchemaDoc)
		if err != nil {
			return false, fmt.Errorf("%s: %w", op.ID, err)
		}
		if doc.ID != s.SchemaDoc.ID || doc.Version != s.SchemaDoc.Version {
			changed = true
		}
		s.SchemaDoc = doc
	}
	return changed, nil
}
