package loadgen_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/collectagent/collectagent/loadgen"
)

// postgresURL returns the test database URL, skipping without one (failing
// under COLLECT_TEST_REQUIRE_ALL=1).
func postgresURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("COLLECT_TEST_POSTGRES_URL")
	if u == "" {
		if os.Getenv("COLLECT_TEST_REQUIRE_ALL") == "1" {
			t.Fatal("COLLECT_TEST_POSTGRES_URL is not set and COLLECT_TEST_REQUIRE_ALL=1")
		}
		t.Skip("COLLECT_TEST_POSTGRES_URL is not set")
	}
	return u
}

// driveFloor runs conversations against a floor server as the "server"
// target and checks that every borrower message committed its rows.
func driveFloor(t *testing.T, cfg loadgen.FloorConfig) {
	t.Helper()
	ctx := t.Context()
	f, err := loadgen.StartFloor(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := loadgen.Run(ctx, loadgen.Config{
		URL:           f.URL().String(),
		Conversations: 6,
		Rounds:        2,
		NoThink:       true,
		BatchSize:     4,
	})
	if err != nil {
		t.Fatal(err)
	}
	rep := res.Runs[0]
	if rep.Completed != 12 || rep.Failed != 0 || rep.Turns != 36 {
		t.Fatalf("completed %d failed %d turns %d (errors %v), want 12, 0, 36", rep.Completed, rep.Failed, rep.Turns, rep.Errors)
	}
	rows, err := f.Rows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(rep.Turns) * int64(cfg.Inserts); rows != want {
		t.Fatalf("floor committed %d rows, want %d (%d turns × %d)", rows, want, rep.Turns, cfg.Inserts)
	}
}

func TestFloorSQLiteCommitsEveryTurn(t *testing.T) {
	driveFloor(t, loadgen.FloorConfig{Store: loadgen.FloorSQLite, DSN: filepath.Join(t.TempDir(), "floor.db"), Inserts: 3})
}

func TestFloorPostgresCommitsEveryTurn(t *testing.T) {
	u := postgresURL(t)
	driveFloor(t, loadgen.FloorConfig{Store: loadgen.FloorPostgres, DSN: u, Inserts: 5})

	// Close dropped the floor's schema.
	conn, err := pgx.Connect(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE 'loadgen_floor_%'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d floor schemas left behind", n)
	}
}

// TestFloorRatios runs echo, floor and a "server" (another floor) in one
// invocation: the report carries a run per target and the server's ratio
// to each.
func TestFloorRatios(t *testing.T) {
	ctx := t.Context()
	srv, err := loadgen.StartFloor(ctx, loadgen.FloorConfig{DSN: filepath.Join(t.TempDir(), "server.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	res, err := loadgen.Run(ctx, loadgen.Config{
		URL:           srv.URL().String(),
		Echo:          true,
		Floor:         true,
		Conversations: 4,
		Rounds:        2,
		NoThink:       true,
	})
	if err != nil {
		t.Fatal(err)
	}
	var targets []string
	for _, r := range res.Runs {
		targets = append(targets, r.Target)
		if r.Failed != 0 || r.Completed != 8 {
			t.Fatalf("%s: completed %d failed %d (%v)", r.Target, r.Completed, r.Failed, r.Errors)
		}
		if r.CPUPerConversation <= 0 {
			t.Errorf("%s: no CPU per conversation", r.Target)
		}
	}
	if len(targets) != 3 || targets[0] != loadgen.TargetEcho || targets[1] != loadgen.TargetFloor || targets[2] != loadgen.TargetServer {
		t.Fatalf("targets %v, want echo, floor, server", targets)
	}
	if len(res.Ratios) != 2 || res.Ratios[0].Against != loadgen.TargetEcho || res.Ratios[1].Against != loadgen.TargetFloor {
		t.Fatalf("ratios %+v", res.Ratios)
	}
	for _, r := range res.Ratios {
		if r.TurnsPerSec <= 0 || r.CPUPerConversation <= 0 {
			t.Errorf("ratio %+v: want both figures", r)
		}
	}
}

func TestFloorConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  loadgen.FloorConfig
		ok   bool
	}{
		{"defaults", loadgen.FloorConfig{}, true},
		{"postgres without dsn", loadgen.FloorConfig{Store: loadgen.FloorPostgres}, false},
		{"unknown store", loadgen.FloorConfig{Store: "mysql"}, false},
		{"too many inserts", loadgen.FloorConfig{Inserts: 101}, false},
		{"negative inserts", loadgen.FloorConfig{Inserts: -1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if (err == nil) != tc.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, loadgen.ErrConfig) {
				t.Fatalf("error %v is not ErrConfig", err)
			}
		})
	}
	if err := (loadgen.Config{Floor: true, FloorStore: "mysql"}).Validate(); !errors.Is(err, loadgen.ErrConfig) {
		t.Fatalf("Config with a bad floor store: %v", err)
	}
	if err := (loadgen.Config{Floor: true}).Validate(); err != nil {
		t.Fatalf("floor alone needs no URL: %v", err)
	}
}
