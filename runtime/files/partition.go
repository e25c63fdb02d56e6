package files

import "path/filepath"

// PartitionPath is where a partitioned file sink (ir.Sink.PartitionBy)
// writes a record whose Hive-style partition directories are partition
// ("dt=x/hm=y", record.Output.Partition, always slash-separated): file's
// name inside those directories under file's directory (out/part.jsonl →
// out/dt=x/hm=y/part.jsonl); file itself when partition is empty. Every
// backend that writes partitioned files uses it, so the layout is one.
func PartitionPath(file, partition string) string {
	if partition == "" {
		return file
	}
	return filepath.Join(filepath.Dir(file), filepath.FromSlash(partition), filepath.Base(file))
}
