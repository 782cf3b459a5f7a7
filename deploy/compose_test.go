package deploy

import (
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// composeFile is the part of the Compose specification deploy/compose.yaml uses; decoding
// with known fields only, a misspelt or unexpected key fails the test.
type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]struct{}       `yaml:"volumes"`
}

type composeService struct {
	Image string `yaml:"image"`
	Build *struct {
		Context    string `yaml:"context"`
		Dockerfile string `yaml:"dockerfile"`
	} `yaml:"build"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Healthcheck *struct {
		Test     []string `yaml:"test"`
		Interval string   `yaml:"interval"`
		Retries  int      `yaml:"retries"`
		Disable  bool     `yaml:"disable"`
	} `yaml:"healthcheck"`
	Volumes   []string `yaml:"volumes"`
	Ports     []string `yaml:"ports"`
	DependsOn map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
}

// envPrefixes are the variables the third-party images read, by service.
var envPrefixes = map[string]string{"postgres": "POSTGRES_", "grafana": "GF_"}

// contractVariables are the variables named in the configuration tables of
// docs/operations.md (the gateway's) and docs/sandbox.md (the sandbox's): the only ones the
// gateway image reads.
func contractVariables(t *testing.T) map[string]bool {
	t.Helper()
	var b []byte
	for _, doc := range []string{"../docs/operations.md", "../docs/sandbox.md"} {
		raw, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		b = append(append(b, raw...), '\n')
	}
	vars := map[string]bool{}
	name := regexp.MustCompile("`([A-Z][A-Z0-9_]+)`")
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		firstCell := strings.SplitN(line, "|", 3)[1]
		for _, m := range name.FindAllStringSubmatch(firstCell, -1) {
			vars[m[1]] = true
		}
	}
	for _, v := range []string{"DATABASE_URL", "GATEWAY_ENV", "PLACETOPAY_BASE_URL", "SANDBOX_SECRET_KEY"} {
		if !vars[v] {
			t.Fatalf("the configuration tables of docs/operations.md and docs/sandbox.md do not list %s; the table format changed?", v)
		}
	}
	return vars
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	var c composeFile
	decodeStrict(t, "compose.yaml", &c)
	return c
}

func TestComposeServices(t *testing.T) {
	c := loadCompose(t)
	want := []string{"gateway", "grafana", "postgres", "prometheus", "sandbox"}
	var got []string
	for name := range c.Services {
		got = append(got, name)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("services %v, want %v", got, want)
	}
	vars := contractVariables(t)
	for name, s := range c.Services {
		for dep := range s.DependsOn {
			if _, ok := c.Services[dep]; !ok {
				t.Errorf("%s depends on unknown service %s", name, dep)
			}
		}
		if s.Build != nil {
			if _, err := os.Stat(filepath.Join(s.Build.Context, s.Build.Dockerfile)); err != nil {
				t.Errorf("%s: build: %v", name, err)
			}
		}
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if strings.HasPrefix(src, ".") {
				if _, err := os.Stat(src); err != nil {
					t.Errorf("%s mounts %s: %v", name, src, err)
				}
			} else if _, ok := c.Volumes[src]; !ok {
				t.Errorf("%s mounts volume %q, not declared under volumes", name, src)
			}
		}
		for k := range s.Environment {
			if p, ok := envPrefixes[name]; ok {
				if !strings.HasPrefix(k, p) {
					t.Errorf("%s: %s is not a %s* variable of its image", name, k, p)
				}
			} else if !vars[k] {
				t.Errorf("%s: %s is not a variable of the contract (docs/operations.md, docs/sandbox.md)", name, k)
			}
		}
	}
}

// TestComposeWiring: the gateway talks to the sandbox service with the sandbox's own
// credentials, the sandbox notifies the gateway, and Prometheus and Grafana find each other
// and their files.
func TestComposeWiring(t *testing.T) {
	c := loadCompose(t)
	gw, sb := c.Services["gateway"], c.Services["sandbox"]
	if gw.Image == "" || gw.Image != sb.Image || !slices.Equal(sb.Command, []string{"sandbox"}) {
		t.Errorf("the sandbox must run `gateway sandbox` from the gateway's image: images %q %q, command %q", gw.Image, sb.Image, sb.Command)
	}
	if gw.Environment["GATEWAY_ENV"] != "development" {
		t.Errorf("GATEWAY_ENV %q: compose uses plain http, which only development accepts", gw.Environment["GATEWAY_ENV"])
	}
	for gwVar, sbVar := range map[string]string{
		"PLACETOPAY_LOGIN":                    "SANDBOX_LOGIN",
		"PLACETOPAY_SECRET_KEY":               "SANDBOX_SECRET_KEY",
		"PLACETOPAY_AUTOPAY_WEBHOOK_USER":     "SANDBOX_AUTOPAY_USER",
		"PLACETOPAY_AUTOPAY_WEBHOOK_PASSWORD": "SANDBOX_AUTOPAY_PASSWORD",
	} {
		if gw.Environment[gwVar] == "" || gw.Environment[gwVar] != sb.Environment[sbVar] {
			t.Errorf("gateway %s=%q, sandbox %s=%q: they must be the same", gwVar, gw.Environment[gwVar], sbVar, sb.Environment[sbVar])
		}
	}
	hostIs := func(raw, service string) bool {
		u, err := url.Parse(raw)
		return err == nil && u.Hostname() == service
	}
	for _, v := range []string{"PLACETOPAY_BASE_URL", "PLACETOPAY_AUTOPAY_URL"} {
		if !hostIs(gw.Environment[v], "sandbox") {
			t.Errorf("gateway %s=%q, want the sandbox service", v, gw.Environment[v])
		}
	}
	for _, v := range []string{"SANDBOX_NOTIFY_URL", "SANDBOX_AUTOPAY_URL"} {
		if !hostIs(sb.Environment[v], "gateway") {
			t.Errorf("sandbox %s=%q, want the gateway service", v, sb.Environment[v])
		}
	}
	if !strings.HasSuffix(sb.Environment["SANDBOX_NOTIFY_URL"], "/webhooks/placetopay") {
		t.Errorf("SANDBOX_NOTIFY_URL %q, want the gateway's /webhooks/placetopay", sb.Environment["SANDBOX_NOTIFY_URL"])
	}

	// Prometheus: its config and rules are mounted where the config says, and it scrapes
	// the gateway's admin port.
	mounts := func(s composeService) map[string]string { // container path -> host path
		m := map[string]string{}
		for _, v := range s.Volumes {
			parts := strings.Split(v, ":")
			if len(parts) >= 2 {
				m[parts[1]] = parts[0]
			}
		}
		return m
	}
	pm := mounts(c.Services["prometheus"])
	if pm["/etc/prometheus/prometheus.yml"] != "./prometheus/prometheus.yml" {
		t.Errorf("prometheus.yml not mounted: %v", pm)
	}
	var prom struct {
		Global        map[string]string `yaml:"global"`
		RuleFiles     []string          `yaml:"rule_files"`
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			MetricsPath   string `yaml:"metrics_path"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	decodeStrict(t, "prometheus/prometheus.yml", &prom)
	if len(prom.RuleFiles) == 0 {
		t.Error("prometheus.yml loads no rules")
	}
	for _, f := range prom.RuleFiles {
		if pm[f] != "./prometheus/alerts.yml" {
			t.Errorf("rule file %s is not the mounted alerts.yml (mounts %v)", f, pm)
		}
	}
	admin := ":9090"
	if a := gw.Environment["GATEWAY_ADMIN_ADDR"]; a != "" {
		admin = a
	}
	var targets []string
	for _, sc := range prom.ScrapeConfigs {
		if sc.MetricsPath != "/metrics" {
			t.Errorf("job %s scrapes %q, want /metrics", sc.JobName, sc.MetricsPath)
		}
		for _, st := range sc.StaticConfigs {
			targets = append(targets, st.Targets...)
		}
	}
	if !slices.Equal(targets, []string{"gateway" + admin}) {
		t.Errorf("scrape targets %v, want the gateway's admin listener gateway%s", targets, admin)
	}
	_ = runPromtool(t, "prometheus", "check", "config", "--syntax-only", "prometheus.yml")

	// Grafana: the provisioning and the dashboard are mounted where the provider looks,
	// and the datasource is the prometheus service with the uid the dashboard uses.
	gm := mounts(c.Services["grafana"])
	if gm["/etc/grafana/provisioning/datasources"] != "./grafana/provisioning/datasources" ||
		gm["/etc/grafana/provisioning/dashboards"] != "./grafana/provisioning/dashboards" {
		t.Errorf("grafana provisioning not mounted: %v", gm)
	}
	var provider struct {
		APIVersion int `yaml:"apiVersion"`
		Providers  []struct {
			Name            string `yaml:"name"`
			Folder          string `yaml:"folder"`
			Type            string `yaml:"type"`
			DisableDeletion bool   `yaml:"disableDeletion"`
			AllowUIUpdates  bool   `yaml:"allowUiUpdates"`
			Options         struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	decodeStrict(t, "grafana/provisioning/dashboards/gateway.yml", &provider)
	if len(provider.Providers) != 1 || gm[provider.Providers[0].Options.Path] != "./grafana/dashboards" {
		t.Errorf("dashboard provider %+v does not read the mounted ./grafana/dashboards (mounts %v)", provider.Providers, gm)
	}
	var ds struct {
		APIVersion  int `yaml:"apiVersion"`
		Datasources []struct {
			Name      string `yaml:"name"`
			UID       string `yaml:"uid"`
			Type      string `yaml:"type"`
			Access    string `yaml:"access"`
			URL       string `yaml:"url"`
			IsDefault bool   `yaml:"isDefault"`
			Editable  bool   `yaml:"editable"`
		} `yaml:"datasources"`
	}
	decodeStrict(t, "grafana/provisioning/datasources/prometheus.yml", &ds)
	if len(ds.Datasources) != 1 || ds.Datasources[0].UID != "prometheus" || ds.Datasources[0].Type != "prometheus" ||
		!hostIs(ds.Datasources[0].URL, "prometheus") {
		t.Errorf("datasources %+v, want one prometheus datasource, uid prometheus, at the prometheus service", ds.Datasources)
	}
}
