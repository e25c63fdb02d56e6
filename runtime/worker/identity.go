package worker

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/pipeline-compiler/pipeline/ir"
)

// stageStateDir is where a stage's partition groups keep their state under
// stateDir: by pipeline and stage identity, so that it survives stages
// added or removed elsewhere in the plan.
func stageStateDir(stateDir, pipeline, identity string) string {
	return filepath.Join(stateDir, safeName(pipeline), safeName(identity))
}

// StageStateDir is the directory under stateDir that holds the state and
// checkpoints of stage st of plan.
func StageStateDir(stateDir string, plan *ir.Plan, st *ir.Stage) string {
	return stageStateDir(stateDir, plan.Pipeline.Name, plan.Pipeline.StageIdentity(st))
}

// RemoveStageState deletes the state and checkpoints of stage st of plan
// under stateDir: its state no longer fits its operators.
func RemoveStageState(stateDir string, plan *ir.Plan, st *ir.Stage) error {
	if stateDir == "" {
		return nil
	}
	if err := os.RemoveAll(StageStateDir(stateDir, plan, st)); err != nil {
		return fmt.Errorf("remove state of stage %s: %w", st.ID, err)
	}
	return nil
}

// RemovePipelineState deletes the state and checkpoints of every stage of
// pipeline under stateDir: the pipeline was destroyed.
func RemovePipelineState(stateDir, pipeline string) error {
	if stateDir == "" || pipeline == "" {
		return nil
	}
	if err := os.RemoveAll(filepath.Join(stateDir, safeName(pipeline))); err != nil {
		return fmt.Errorf("remove state of pipeline %s: %w", pipeline, err)
	}
	return nil
}

// GroupID is the consumer group of stage st of plan:
// "<pipeline>.<stage identity>", shared by every worker of the stage.
func GroupID(plan *ir.Plan, st *ir.Stage) string {
	return plan.Pipeline.Name + "." + plan.Pipeline.StageIdentity(st)
}

// TransactionalID is the transactional ID (and static group member ID) of
// an exactly-once stage on the worker with the given instance ID.
func TransactionalID(plan *ir.Plan, st *ir.Stage, instance string) string {
	return GroupID(plan, st) + "." + instance
}
