package worker_test

import (
	"os"
	"testing"

	"github.com/pipeline-compiler/pipeline/internal/testkit"
)

func TestMain(m *testing.M) {
	if os.Getenv(crashChildEnv) != "" {
		// Re-executed as the crash test's worker process.
		os.Exit(m.Run())
	}
	os.Exit(testkit.Main(m))
}

// The test kit's broker process and kcat.
var (
	startBroker = testkit.StartBroker
	needKcat    = testkit.Kcat
)
