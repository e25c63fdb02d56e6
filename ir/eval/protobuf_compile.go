//go:build !wasip1

package eval

import (
	"context"
	"fmt"

	"github.com/bufbuild/protocompile"
	"github.com/pipeline-compiler/pipeline/ir"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// The .proto compiler (protocompile) is linked by the planner and the native
// and Beam runtimes only: the broker's WebAssembly module leaves it out to
// stay small and decodes from SchemaDoc.Descriptor, which the planner fills
// with CompileSchema (see protobuf_compile_wasip1.go).

// protoMainFile is the name Text is compiled under: the name positions in
// its compile errors carry, and the last file of the descriptor set.
const protoMainFile = "schema.proto"

// protoCompilerLinked reports that this build can compile .proto text.
const protoCompilerLinked = true

// CompileSchema fills doc.Descriptor for a Protobuf schema by compiling
// doc.Text with its References (well-known imports such as
// google/protobuf/timestamp.proto resolve without them). Planners call it
// for every Protobuf SchemaDoc they put in a plan, so that runtimes without
// the compiler can decode. Other formats are left unchanged. A schema that
// does not compile is an error naming file:line:col.
func CompileSchema(doc *ir.SchemaDoc) error {
	if doc.Format != FormatProtobuf {
		return nil
	}
	set, err := compileProtoText(doc)
	if err != nil {
		return err
	}
	doc.Descriptor = set
	return nil
}

// compileProtoText compiles doc.Text into a serialized FileDescriptorSet:
// every file it imports, transitively, dependencies first, then Text's file.
func compileProtoText(doc *ir.SchemaDoc) ([]byte, error) {
	srcs := make(map[string]string, len(doc.References)+1)
	for name, text := range doc.References {
		srcs[name] = text
	}
	srcs[protoMainFile] = doc.Text
	c := protocompile.Compiler{
		Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{
			Accessor: protocompile.SourceAccessorFromMap(srcs),
		}),
	}
	files, err := c.Compile(context.Background(), protoMainFile)
	if err != nil {
		return nil, fmt.Errorf("protobuf: %w", err)
	}
	set := &descriptorpb.FileDescriptorSet{}
	seen := map[string]bool{}
	var add func(fd protoreflect.FileDescriptor)
	add = func(fd protoreflect.FileDescriptor) {
		if seen[fd.Path()] {
			return
		}
		seen[fd.Path()] = true
		imps := fd.Imports()
		for i := 0; i < imps.Len(); i++ {
			add(imps.Get(i).FileDescriptor)
		}
		set.File = append(set.File, protodesc.ToFileDescriptorProto(fd))
	}
	add(files[0])
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("protobuf: serializing the descriptor set: %w", err)
	}
	return b, nil
}
