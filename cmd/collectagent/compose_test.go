package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/nats-io/nats-server/v2/server"
	"gopkg.in/yaml.v3"
)

// repoRoot is the module's root, where docker-compose.yml lives.
const repoRoot = "../.."

// composeSecrets are made-up values for every variable the compose file
// requires; the test only checks where they end up.
var composeSecrets = map[string]string{
	"NATS_USER":              "collect-client",
	"NATS_PASSWORD":          "nats-pass-0123456789",
	"NATS_CLUSTER_USER":      "collect-route",
	"NATS_CLUSTER_PASSWORD":  "route-pass-0123456789",
	"POSTGRES_PASSWORD":      "pg-pass-0123456789",
	"COLLECT_API_KEY":        "api-key-0123456789abcdef",
	"COLLECT_TOKEN_SECRET":   "token-secret-0123456789abcdef0123456789",
	"COLLECT_ADMIN_KEY":      "admin-key-0123456789abcdef",
	"COLLECT_AUDIT_KEY":      "audit-key-0123456789abcdef0123456789abcdef",
	"GRAFANA_ADMIN_PASSWORD": "grafana-pass-0123456789",
}

func envList(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

func loadCompose(t *testing.T, env map[string]string, profiles ...string) (*types.Project, error) {
	t.Helper()
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := cli.NewProjectOptions([]string{filepath.Join(root, "docker-compose.yml")},
		cli.WithWorkingDirectory(root), cli.WithEnv(envList(env)), cli.WithProfiles(profiles),
		cli.WithDiscardEnvFile, cli.WithName("collectagent"))
	if err != nil {
		t.Fatal(err)
	}
	return opts.LoadProject(context.Background())
}

// acceptedEnv is every COLLECT_* variable the binary reads: the names
// loadConfig asks its getenv for.
func acceptedEnv(t *testing.T) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	if _, err := loadConfig("", func(k string) string { names[k] = true; return "" }); err != nil {
		t.Fatal(err)
	}
	return names
}

// mapping turns a service's environment into a plain map.
func mapping(env types.MappingWithEquals) map[string]string {
	m := map[string]string{}
	for k, v := range env {
		if v != nil {
			m[k] = *v
		}
	}
	return m
}

func mounts(s types.ServiceConfig) map[string]string {
	m := map[string]string{}
	for _, v := range s.Volumes {
		m[v.Target] = v.Source
	}
	return m
}

func TestComposeFile(t *testing.T) {
	p, err := loadCompose(t, composeSecrets, "monitoring", "llm")
	if err != nil {
		t.Fatalf("load docker-compose.yml: %v", err)
	}
	root, _ := filepath.Abs(repoRoot)

	// Three NATS servers, each routed to the other two, with JetStream
	// and authentication, parsed by nats-server itself from the file the
	// containers mount.
	natsNodes := []string{"nats-1", "nats-2", "nats-3"}
	certs := writeTestCerts(t, t.TempDir(), natsNodes)
	for _, name := range natsNodes {
		t.Run(name, func(t *testing.T) {
			s, ok := p.Services[name]
			if !ok {
				t.Fatalf("no service %s", name)
			}
			conf := mounts(s)["/etc/nats/nats.conf"]
			if conf != filepath.Join(root, "deploy/nats/nats.conf") {
				t.Fatalf("nats.conf mounted from %q", conf)
			}
			if !slices.Equal(s.Command, []string{"-c", "/etc/nats/nats.conf"}) {
				t.Errorf("command %q", s.Command)
			}
			if mounts(s)["/certs"] != "nats-certs" {
				t.Errorf("certificates not mounted: %v", mounts(s))
			}
			if d, ok := s.DependsOn["certs"]; !ok || d.Condition != "service_completed_successfully" {
				t.Errorf("does not wait for its certificates: %+v", s.DependsOn)
			}
			if mounts(s)["/data"] != name {
				t.Errorf("JetStream store not on the volume %s: %v", name, mounts(s))
			}
			if s.HealthCheck == nil || !strings.Contains(strings.Join(s.HealthCheck.Test, " "), "/healthz") {
				t.Errorf("health check %+v", s.HealthCheck)
			}
			env := mapping(s.Environment)
			for k, v := range env {
				t.Setenv(k, v)
			}
			// The file as mounted, its /certs at test certificates.
			raw, err := os.ReadFile(conf)
			if err != nil {
				t.Fatal(err)
			}
			local := filepath.Join(t.TempDir(), "nats.conf")
			if err := os.WriteFile(local, []byte(strings.ReplaceAll(string(raw), "/certs/", certs+"/")), 0o600); err != nil {
				t.Fatal(err)
			}
			opts, err := server.ProcessConfigFile(local)
			if err != nil {
				t.Fatalf("nats-server rejects the config: %v", err)
			}
			if opts.ServerName != name || !opts.JetStream || opts.Cluster.Name != "collect" || opts.Cluster.Port != 6222 {
				t.Errorf("server %q jetstream %v cluster %q port %d", opts.ServerName, opts.JetStream, opts.Cluster.Name, opts.Cluster.Port)
			}
			if opts.TLSConfig == nil || opts.Cluster.TLSConfig == nil {
				t.Errorf("TLS on clients %v, on routes %v: want both", opts.TLSConfig != nil, opts.Cluster.TLSConfig != nil)
			}
			if opts.Username != composeSecrets["NATS_USER"] || opts.Password != composeSecrets["NATS_PASSWORD"] {
				t.Errorf("client auth %q/%q, want the environment's", opts.Username, opts.Password)
			}
			if opts.Cluster.Username != composeSecrets["NATS_CLUSTER_USER"] || opts.Cluster.Password != composeSecrets["NATS_CLUSTER_PASSWORD"] {
				t.Errorf("route auth %q/%q", opts.Cluster.Username, opts.Cluster.Password)
			}
			var routed []string
			for _, r := range opts.Routes {
				if r.User.Username() != composeSecrets["NATS_CLUSTER_USER"] {
					t.Errorf("route %s without the cluster user", r.Host)
				}
				routed = append(routed, r.Host)
			}
			var want []string
			for _, o := range natsNodes {
				if o != name {
					want = append(want, o+":6222")
				}
			}
			sort.Strings(routed)
			if !slices.Equal(routed, want) {
				t.Errorf("routes %v, want %v", routed, want)
			}
		})
	}

	pg, ok := p.Services["postgres"]
	if !ok {
		t.Fatal("no postgres service")
	}
	if mounts(pg)["/var/lib/postgresql/data"] != "pgdata" {
		t.Errorf("postgres data not on a volume: %v", mounts(pg))
	}
	if pg.HealthCheck == nil || !strings.Contains(strings.Join(pg.HealthCheck.Test, " "), "pg_isready") {
		t.Errorf("postgres health check %+v", pg.HealthCheck)
	}

	// The collectagent nodes: at least two, configured only by variables
	// the binary reads, which pass its own validation.
	accepted := acceptedEnv(t)
	var apps []string
	for name, s := range p.Services {
		if strings.HasPrefix(s.Image, "collectagent") {
			apps = append(apps, name)
		}
	}
	sort.Strings(apps)
	if len(apps) < 2 {
		t.Fatalf("collectagent nodes %v, want at least 2", apps)
	}
	for _, name := range apps {
		t.Run(name, func(t *testing.T) {
			s := p.Services[name]
			if s.Build == nil || s.Build.Context != root {
				t.Errorf("build %+v, want the repository's Dockerfile", s.Build)
			}
			if len(s.Command) == 0 || s.Command[0] != "serve" {
				t.Fatalf("command %q, want serve", s.Command)
			}
			fs, _ := serveFlags(io.Discard)
			if err := fs.Parse(s.Command[1:]); err != nil || fs.NArg() > 0 {
				t.Errorf("serve does not accept %q: %v", s.Command[1:], err)
			}
			if len(s.Ports) > 0 {
				t.Errorf("an app node publishes ports %v; only the proxy may", s.Ports)
			}
			// Configured by environment only: the one file it reads is the
			// NATS CA. Its state is its own data volume (the audit
			// checkpoint file) and the recordings, shared by the nodes so
			// that one node's purge prunes them all.
			for _, v := range s.Volumes {
				switch {
				case v.Source == "nats-certs" && v.ReadOnly:
				case v.Target == "/data" && v.Type == "volume" && v.Source == name:
				case v.Target == "/data/recordings" && v.Type == "volume" && v.Source == "recordings":
				default:
					t.Errorf("an app node mounts %s:%s; it is configured by environment only (the NATS CA read-only aside), its state on its own /data volume and the shared recordings", v.Source, v.Target)
				}
			}
			if m := mounts(s); m["/data"] != name || m["/data/recordings"] != "recordings" {
				t.Errorf("data volumes %v, want %s:/data and recordings:/data/recordings", m, name)
			}
			env := mapping(s.Environment)
			for k := range env {
				if !accepted[k] {
					t.Errorf("%s is not a variable collectagent reads", k)
				}
			}
			cfg, err := loadConfig("", func(k string) string { return env[k] })
			if err != nil {
				t.Fatalf("loadConfig: %v", err)
			}
			if err := cfg.validate(); err != nil {
				t.Fatalf("the node's configuration does not validate: %v", err)
			}
			if k, err := cfg.checkpointKey(); err != nil || k.IsZero() {
				t.Errorf("the node signs no audit checkpoints (COLLECT_AUDIT_KEY): %v", err)
			}
			if cfg.NATS.Replicas != 3 {
				t.Errorf("nats replicas %d, want 3", cfg.NATS.Replicas)
			}
			var hosts []string
			for _, u := range strings.Split(cfg.NATS.URL, ",") {
				pu, err := url.Parse(u)
				if err != nil {
					t.Fatal(err)
				}
				hosts = append(hosts, pu.Host)
				if pu.Scheme != "tls" || pu.User != nil {
					t.Errorf("NATS URL %s: want tls:// with no credentials in it", pu.Redacted())
				}
			}
			if !cfg.NATS.TLS.Enabled || cfg.NATS.TLS.CAFile != "/certs/ca.pem" {
				t.Errorf("NATS TLS %+v, want on with the cluster's CA", cfg.NATS.TLS)
			}
			if cfg.NATS.Auth.User != composeSecrets["NATS_USER"] || cfg.NATS.Auth.Password != composeSecrets["NATS_PASSWORD"] {
				t.Errorf("NATS auth user %q, password set %v", cfg.NATS.Auth.User, cfg.NATS.Auth.Password != "")
			}
			if !slices.Equal(hosts, []string{"nats-1:4222", "nats-2:4222", "nats-3:4222"}) {
				t.Errorf("NATS seeds %v", hosts)
			}
			if du, err := url.Parse(cfg.DatabaseURL); err != nil || du.Scheme != "postgres" || du.Hostname() != "postgres" {
				t.Errorf("database URL %q, want the postgres service", cfg.DatabaseURL)
			}
			if cfg.Web.AdminAddr != ":9091" || cfg.Web.AdminKey == "" {
				t.Errorf("admin listener %q (key set %v), want :9091 with a key", cfg.Web.AdminAddr, cfg.Web.AdminKey != "")
			}
			hc := s.HealthCheck
			if hc == nil || len(hc.Test) < 3 || hc.Test[0] != "CMD" || hc.Test[1] != "/collectagent" || hc.Test[2] != "probe" {
				t.Fatalf("health check %+v, want CMD /collectagent probe", hc)
			}
			pf, u, _ := probeFlags(io.Discard)
			if err := pf.Parse(hc.Test[3:]); err != nil || pf.NArg() > 0 {
				t.Errorf("probe does not accept %q: %v", hc.Test[3:], err)
			}
			if !strings.HasSuffix(*u, ":8080/readyz") {
				t.Errorf("health check probes %s, want /readyz", *u)
			}
			for _, dep := range []string{"postgres", "nats-1", "nats-2", "nats-3"} {
				if d, ok := s.DependsOn[dep]; !ok || d.Condition != "service_healthy" {
					t.Errorf("depends on %s: %+v, want service_healthy", dep, d)
				}
			}
		})
	}

	// The proxy: Caddy on 443, every node in its upstreams, round robin
	// with no sticky sessions.
	proxy, ok := p.Services["proxy"]
	if !ok || !strings.HasPrefix(proxy.Image, "caddy:") {
		t.Fatalf("proxy %+v, want Caddy", proxy.Image)
	}
	published := false
	for _, pt := range proxy.Ports {
		if pt.Target == 443 {
			published = true
		}
	}
	if !published {
		t.Errorf("proxy does not publish 443: %+v", proxy.Ports)
	}
	caddyfile, err := os.ReadFile(mounts(proxy)["/etc/caddy/Caddyfile"])
	if err != nil {
		t.Fatal(err)
	}
	rp := regexp.MustCompile(`(?m)^\s*reverse_proxy\s+([^{]+)\{`).FindSubmatch(caddyfile)
	if rp == nil {
		t.Fatalf("no reverse_proxy in the Caddyfile")
	}
	upstreams := strings.Fields(string(rp[1]))
	sort.Strings(upstreams)
	var wantUp []string
	for _, a := range apps {
		wantUp = append(wantUp, a+":8080")
	}
	if !slices.Equal(upstreams, wantUp) {
		t.Errorf("upstreams %v, want %v", upstreams, wantUp)
	}
	if m := regexp.MustCompile(`lb_policy\s+(cookie|ip_hash|client_ip_hash|header|uri_hash)`).Find(caddyfile); m != nil {
		t.Errorf("sticky load balancing %q: any node resumes any conversation", m)
	}
	if !regexp.MustCompile(`(?m)^\s*tls\s`).Match(caddyfile) || !strings.Contains(string(caddyfile), "health_uri /readyz") {
		t.Error("the Caddyfile must terminate TLS and check /readyz")
	}

	// Monitoring: Prometheus scrapes every node's admin port with the
	// admin key; Grafana is provisioned with the repository's dashboard.
	prom, ok := p.Services["prometheus"]
	if !ok || !slices.Equal(prom.Profiles, []string{"monitoring"}) {
		t.Fatalf("prometheus %v", prom.Profiles)
	}
	var pcfg struct {
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			Authorization struct {
				CredentialsFile string `yaml:"credentials_file"`
			} `yaml:"authorization"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	b, err := os.ReadFile(mounts(prom)["/etc/prometheus/prometheus.yml"])
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &pcfg); err != nil {
		t.Fatal(err)
	}
	var targets []string
	for _, sc := range pcfg.ScrapeConfigs {
		if sc.JobName == "collectagent" {
			for _, st := range sc.StaticConfigs {
				targets = append(targets, st.Targets...)
			}
			if sc.Authorization.CredentialsFile != "/run/secrets/admin_key" {
				t.Errorf("scrape credentials %q", sc.Authorization.CredentialsFile)
			}
		}
	}
	sort.Strings(targets)
	var wantTargets []string
	for _, a := range apps {
		wantTargets = append(wantTargets, a+":9091")
	}
	if !slices.Equal(targets, wantTargets) {
		t.Errorf("scrape targets %v, want %v", targets, wantTargets)
	}
	if sec, ok := p.Secrets["admin_key"]; !ok || sec.Environment != "COLLECT_ADMIN_KEY" {
		t.Errorf("admin_key secret %+v, want from COLLECT_ADMIN_KEY", sec)
	}
	graf, ok := p.Services["grafana"]
	if !ok || !slices.Equal(graf.Profiles, []string{"monitoring"}) {
		t.Fatalf("grafana %v", graf.Profiles)
	}
	dash := mounts(graf)["/var/lib/grafana/dashboards"]
	if _, err := os.Stat(filepath.Join(dash, "collectagent.json")); err != nil {
		t.Errorf("dashboard: %v", err)
	}
	if _, err := os.Stat(filepath.Join(mounts(graf)["/etc/grafana/provisioning"], "dashboards", "collectagent.yml")); err != nil {
		t.Errorf("dashboard provider: %v", err)
	}
	if llmSvc, ok := p.Services["llm"]; !ok || !slices.Equal(llmSvc.Profiles, []string{"llm"}) {
		t.Errorf("llm service %v", llmSvc.Profiles)
	}

	// Without profiles, the model server and monitoring stay off.
	base, err := loadCompose(t, composeSecrets)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"llm", "prometheus", "grafana"} {
		if _, ok := base.Services[name]; ok {
			t.Errorf("%s runs without its profile", name)
		}
	}
}

// TestComposeHasNoSecretLiterals: every password, key, secret and URL
// credential in the file is a variable that must be set, never a value.
func TestComposeHasNoSecretLiterals(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	secretKey := regexp.MustCompile(`(?i)(PASSWORD|SECRET|_KEY$|TOKEN)`)
	interp := regexp.MustCompile(`^\$\{[A-Z0-9_]+(:?[-?][^}]*)?\}$`)
	userinfo := regexp.MustCompile(`://([^/@]*)@`)
	variable := regexp.MustCompile(`\$\{[^}]*\}`)
	checked := 0
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if v.Kind == yaml.ScalarNode {
					if secretKey.MatchString(k.Value) && k.Value != "COLLECT_LLM_API_KEY" {
						checked++
						if !interp.MatchString(v.Value) || strings.Contains(v.Value, ":-") {
							t.Errorf("%s: %q is not a required variable (${NAME:?...})", k.Value, v.Value)
						}
					}
					for _, m := range userinfo.FindAllStringSubmatch(v.Value, -1) {
						checked++
						// The user may be a literal; the password must be a variable.
						if rest := variable.ReplaceAllString(m[1], ""); !strings.HasSuffix(rest, ":") || !strings.HasSuffix(m[1], "}") {
							t.Errorf("%s: a URL holds a literal password", k.Value)
						}
					}
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&doc)
	if checked < 8 {
		t.Errorf("only %d credentials checked; the walk is broken", checked)
	}
	// Each required variable refuses to start without its value.
	for name := range composeSecrets {
		env := map[string]string{}
		for k, v := range composeSecrets {
			if k != name {
				env[k] = v
			}
		}
		if _, err := loadCompose(t, env, "monitoring"); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("without %s: %v, want an error naming it", name, err)
		}
	}
}

// TestDockerfile: multi-stage, the go.mod Go version, a static binary, a
// non-root user on a small base, and a health check the binary accepts.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goVer := regexp.MustCompile(`(?m)^go (\S+)`).FindSubmatch(gomod)
	df := string(b)
	froms := regexp.MustCompile(`(?m)^FROM\s+(\S+)`).FindAllStringSubmatch(df, -1)
	if len(froms) < 2 {
		t.Fatalf("%d stages, want a multi-stage build", len(froms))
	}
	if !strings.HasPrefix(froms[0][1], "golang:"+string(goVer[1])) {
		t.Errorf("build stage %s, want golang:%s (go.mod)", froms[0][1], goVer[1])
	}
	if final := froms[len(froms)-1][1]; !strings.Contains(final, "distroless/static") {
		t.Errorf("final stage %s, want a static distroless base", final)
	}
	if !strings.Contains(df, "CGO_ENABLED=0") {
		t.Error("the binary must be static (CGO_ENABLED=0)")
	}
	users := regexp.MustCompile(`(?m)^USER\s+(\S+)`).FindAllStringSubmatch(df, -1)
	if len(users) == 0 || strings.HasPrefix(users[len(users)-1][1], "0") || strings.HasPrefix(users[len(users)-1][1], "root") {
		t.Errorf("USER %v, want a non-root user", users)
	}
	hc := regexp.MustCompile(`CMD \["/collectagent", "probe"((?:, "[^"]*")*)\]`).FindStringSubmatch(df)
	if hc == nil {
		t.Fatal("no HEALTHCHECK running collectagent probe")
	}
	var args []string
	for _, m := range regexp.MustCompile(`"([^"]*)"`).FindAllStringSubmatch(hc[1], -1) {
		args = append(args, m[1])
	}
	pf, _, _ := probeFlags(io.Discard)
	if err := pf.Parse(args); err != nil || pf.NArg() > 0 {
		t.Errorf("probe does not accept %q: %v", args, err)
	}
	for _, m := range regexp.MustCompile(`(?m)^ENV\s+((?:.|\\\n)*?)(?:\n[A-Z]|\z)`).FindAllStringSubmatch(df, -1) {
		for _, kv := range regexp.MustCompile(`(COLLECT_[A-Z_]+)=`).FindAllStringSubmatch(m[1], -1) {
			if !acceptedEnv(t)[kv[1]] {
				t.Errorf("Dockerfile sets %s, which collectagent does not read", kv[1])
			}
		}
	}
}

// writeTestCerts writes ca.pem, nats.pem and nats-key.pem (a certificate
// for hosts and localhost, signed by the CA) into dir, as the certs
// service does, and returns dir.
func writeTestCerts(t *testing.T, dir string, hosts []string) string {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "nats"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: append(slices.Clone(hosts), "localhost"), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	for name, blk := range map[string]*pem.Block{
		"ca.pem": {Type: "CERTIFICATE", Bytes: caDER}, "nats.pem": {Type: "CERTIFICATE", Bytes: der},
		"nats-key.pem": {Type: "EC PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(blk), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
