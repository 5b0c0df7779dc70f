package main

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"testing"

	"github.com/collectagent/collectagent/loadgen"
)

// TestLoadgenFloorProcess runs `collectagent loadgen -floor` from the built
// binary: the floor runs as a process of its own, so its CPU is sampled
// apart from the load generator's.
func TestLoadgenFloorProcess(t *testing.T) {
	bin := buildBinary(t)
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(t.Context(), bin, "loadgen", "-floor", "-floor-inserts", "2", "-conversations", "4", "-rounds", "2", "-no-think", "-json")
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("loadgen: %v\n%s", err, errOut.String())
	}
	var res loadgen.Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if len(res.Runs) != 1 {
		t.Fatalf("runs: %+v", res.Runs)
	}
	r := res.Runs[0]
	if r.Target != loadgen.TargetFloor || r.Completed != 8 || r.Failed != 0 {
		t.Fatalf("floor run: target %s, completed %d, failed %d (%v)", r.Target, r.Completed, r.Failed, r.Errors)
	}
	if r.Memory.PID == 0 || r.Memory.Process != "floor" || r.Memory.Samples == 0 {
		t.Fatalf("floor process not sampled: %+v", r.Memory)
	}
	if r.CPUPerConversation <= 0 {
		t.Fatalf("no CPU per conversation: %+v", r)
	}
}
