// Package examples_test checks the deployment examples against the code:
// every metric the Grafana dashboard and the Prometheus alerts query is one
// modgate exports, every alert is annotated, the Kubernetes manifests mount
// the config so that hot reload works and run locked down, and the configs
// shipped in the ConfigMap and the container image load.
//
// examples/prometheus/check.sh goes further where Prometheus is installed:
// it evaluates every query against a real Prometheus scraping a real modgate.
package examples_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gopkg.in/yaml.v3"

	"github.com/modgate/modgate/metrics"
	"github.com/modgate/modgate/rules"
	"github.com/modgate/modgate/server"
)

// knownMetrics is every series name modgate exposes, plus the ones
// Prometheus adds at scrape time. It is built from a real registry, so a
// renamed metric fails the dashboard and alert checks.
func knownMetrics(t *testing.T) map[string]bool {
	t.Helper()
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, "test")
	m.SetRules([]metrics.RuleInfo{{ID: "r", Action: "drop", Mode: "enforce", Strikes: true}})
	m.Trigger("before_message").Observe(0, time.Millisecond)
	m.StateOperation("ok", time.Millisecond)
	m.SetStateBackend("memory")
	m.Rejected("unauthorized")
	m.ReloadSucceeded(time.Now())
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	names := map[string]bool{
		"up": true, // added by Prometheus to every scrape
	}
	for _, f := range families {
		name := f.GetName()
		names[name] = true
		switch f.GetType().String() {
		case "HISTOGRAM", "GAUGE_HISTOGRAM":
			names[name+"_bucket"] = true
			names[name+"_sum"] = true
			names[name+"_count"] = true
		case "SUMMARY":
			names[name+"_sum"] = true
			names[name+"_count"] = true
		}
	}
	// The registry must hold the metrics SPEC §7 names; otherwise the
	// checks below would pass vacuously.
	for _, want := range []string{
		"modgate_messages_total", "modgate_rule_matches_total", "modgate_rule_errors_total",
		"modgate_evaluation_duration_seconds_bucket", "modgate_requests_rejected_total",
		"modgate_rules_loaded", "modgate_reloads_total", "modgate_rules_last_reload_successful",
		"modgate_rules_last_reload_success_timestamp_seconds", "modgate_build_info",
		"modgate_state_operations_total", "modgate_state_operation_duration_seconds_bucket",
		"modgate_state_backend_info", "modgate_strikes_total",
	} {
		if !names[want] {
			t.Fatalf("the registry has no %s: metrics.New changed?", want)
		}
	}
	return names
}

// PromQL pieces that are not metric names.
var (
	promqlStrings   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`")
	promqlGrafana   = regexp.MustCompile(`\$\{[^}]*\}|\$\w+|\[\[\w+\]\]`)
	promqlMatchers  = regexp.MustCompile(`\{[^}]*\}`)
	promqlRanges    = regexp.MustCompile(`\[[^\]]*\]`)
	promqlGrouping  = regexp.MustCompile(`(?i)\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promqlTokens    = regexp.MustCompile(`[0-9][0-9a-zA-Z_.]*|[a-zA-Z_:][a-zA-Z0-9_:]*`)
	promqlKeywords  = map[string]bool{"and": true, "or": true, "unless": true, "by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true, "offset": true, "bool": true, "inf": true, "nan": true, "start": true, "end": true, "atan2": true}
	grafanaLabelVal = regexp.MustCompile(`^\s*label_values\(\s*(?:(.*?)\s*,\s*)?[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*$`)
	grafanaQueryRes = regexp.MustCompile(`^\s*query_result\((.*)\)\s*$`)
)

// metricNames returns the metric names a PromQL expression selects, sorted.
// It is no parser, but it knows the syntax that can hide a name: strings,
// label matchers, range and subquery brackets, grouping clauses, function
// calls, keywords, numbers and durations, and Grafana's $variables.
func metricNames(expr string) []string {
	s := promqlStrings.ReplaceAllString(expr, `""`)
	s = promqlGrafana.ReplaceAllString(s, "1")
	s = promqlMatchers.ReplaceAllString(s, " ")
	s = promqlRanges.ReplaceAllString(s, " ")
	s = promqlGrouping.ReplaceAllString(s, " ")
	seen := map[string]bool{}
	for _, loc := range promqlTokens.FindAllStringIndex(s, -1) {
		tok := s[loc[0]:loc[1]]
		if tok[0] >= '0' && tok[0] <= '9' || promqlKeywords[strings.ToLower(tok)] {
			continue
		}
		if rest := strings.TrimLeft(s[loc[1]:], " \t\r\n"); strings.HasPrefix(rest, "(") {
			continue // a function or an aggregation
		}
		seen[tok] = true
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// variableQueryNames is metricNames for a Grafana template variable query,
// which may be label_values(METRIC, LABEL) or query_result(EXPR).
func variableQueryNames(q string) []string {
	if m := grafanaLabelVal.FindStringSubmatch(q); m != nil {
		if m[1] == "" {
			return nil
		}
		return metricNames(m[1])
	}
	if m := grafanaQueryRes.FindStringSubmatch(q); m != nil {
		return metricNames(m[1])
	}
	return metricNames(q)
}

func TestMetricNames(t *testing.T) {
	tests := []struct {
		expr string
		want []string
	}{
		{`up{job="modgate"} == 0`, []string{"up"}},
		{`sum by (verdict) (rate(modgate_messages_total{trigger=~"$trigger"}[$__rate_interval]))`, []string{"modgate_messages_total"}},
		{`sum(rate(a_total[5m])) by (le, rule) / ignoring(x) group_left(y) b`, []string{"a_total", "b"}},
		{`histogram_quantile(0.99, sum by (job, le) (rate(x_bucket{a="}{"}[5m]))) > 1`, []string{"x_bucket"}},
		{`max_over_time(g[5m:1m]) == 0 and on() vector(1) offset 1d`, []string{"g"}},
		{`time() - max(ts_seconds)`, []string{"ts_seconds"}},
		{`topk(10, sum without (instance) (c)) > bool 1e3`, []string{"c"}},
		{"absent(up{job=\"modgate\"})\n  or\n  rate (b [1h])", []string{"b", "up"}},
		{`{__name__="x"}`, []string{}},
		{`count by (version, goversion) (modgate_build_info)`, []string{"modgate_build_info"}},
	}
	for _, tt := range tests {
		if got := metricNames(tt.expr); !slices.Equal(got, tt.want) {
			t.Errorf("metricNames(%q) = %q, want %q", tt.expr, got, tt.want)
		}
	}
	for q, want := range map[string][]string{
		"label_values(modgate_rule_matches_total, rule)": {"modgate_rule_matches_total"},
		"label_values(job)":        nil,
		"query_result(topk(3, m))": {"m"},
	} {
		if got := variableQueryNames(q); !slices.Equal(got, want) {
			t.Errorf("variableQueryNames(%q) = %q, want %q", q, got, want)
		}
	}
}

// checkNames reports each name in names that modgate does not export.
func checkNames(t *testing.T, known map[string]bool, where, expr string, names []string) {
	t.Helper()
	for _, n := range names {
		if !known[n] {
			t.Errorf("%s: unknown metric %q in %s", where, n, strings.Join(strings.Fields(expr), " "))
		}
	}
}

// The dashboard JSON, as far as the checks need it.
type dashboard struct {
	UID           string  `json:"uid"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []struct {
			Name  string          `json:"name"`
			Type  string          `json:"type"`
			Query json.RawMessage `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID          int             `json:"id"`
	Type        string          `json:"type"`
	Title       string          `json:"title"`
	Description string          `json:"description"`
	Datasource  json.RawMessage `json:"datasource"`
	Panels      []panel         `json:"panels"` // of a collapsed row
	Targets     []struct {
		Expr       string          `json:"expr"`
		Datasource json.RawMessage `json:"datasource"`
	} `json:"targets"`
}

func loadDashboard(t *testing.T) *dashboard {
	t.Helper()
	data := readFile(t, "grafana/modgate-dashboard.json")
	var d dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("grafana/modgate-dashboard.json: %v", err)
	}
	return &d
}

// allPanels flattens rows' panels into one list.
func allPanels(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, allPanels(p.Panels)...)
	}
	return out
}

func TestDashboard(t *testing.T) {
	known := knownMetrics(t)
	d := loadDashboard(t)
	if d.UID == "" || d.SchemaVersion < 36 {
		t.Errorf("uid %q, schemaVersion %d: want a uid and schemaVersion >= 36", d.UID, d.SchemaVersion)
	}

	vars := map[string]string{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v.Type
		if v.Type != "query" {
			continue
		}
		// A query variable's query is a string (older Grafana) or an
		// object whose "query" is the string.
		var q string
		if err := json.Unmarshal(v.Query, &q); err != nil {
			var obj struct{ Query string }
			if err := json.Unmarshal(v.Query, &obj); err != nil {
				t.Fatalf("variable %s: query is neither a string nor an object: %s", v.Name, v.Query)
			}
			q = obj.Query
		}
		names := variableQueryNames(q)
		if len(names) == 0 {
			t.Errorf("variable %s: no metric in %q", v.Name, q)
		}
		checkNames(t, known, "variable "+v.Name, q, names)
	}
	if vars["datasource"] != "datasource" || vars["rule"] != "query" {
		t.Errorf("template variables %v: want datasource (datasource) and rule (query)", vars)
	}

	ids := map[int]string{}
	exprs := 0
	for _, p := range allPanels(d.Panels) {
		if prev, dup := ids[p.ID]; dup {
			t.Errorf("panels %q and %q share id %d", prev, p.Title, p.ID)
		}
		ids[p.ID] = p.Title
		if p.Type == "row" {
			continue
		}
		where := "panel " + strings.TrimSpace(p.Title)
		if strings.TrimSpace(p.Description) == "" {
			t.Errorf("%s: no description", where)
		}
		if !bytes.Contains(p.Datasource, []byte("${datasource}")) {
			t.Errorf("%s: datasource %s does not use the $datasource variable", where, p.Datasource)
		}
		if len(p.Targets) == 0 {
			t.Errorf("%s: no queries", where)
		}
		for _, tg := range p.Targets {
			names := metricNames(tg.Expr)
			if len(names) == 0 {
				t.Errorf("%s: no metric in query %q", where, tg.Expr)
			}
			checkNames(t, known, where, tg.Expr, names)
			exprs++
		}
	}
	if exprs < 10 {
		t.Errorf("only %d panel queries found: is the dashboard's structure what this test reads?", exprs)
	}
}

// The Prometheus rule file format.
type ruleFile struct {
	Groups []struct {
		Name     string `yaml:"name"`
		Interval string `yaml:"interval"`
		Rules    []struct {
			Alert       string            `yaml:"alert"`
			Record      string            `yaml:"record"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func TestAlerts(t *testing.T) {
	known := knownMetrics(t)
	var rf ruleFile
	decodeStrict(t, "prometheus/alerts.yaml", &rf)

	alerts := map[string]bool{}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			where := "group " + g.Name + ", alert " + r.Alert
			if r.Alert == "" {
				t.Errorf("group %s: a rule without alert: (record %q): recording rules would need their names allowed here", g.Name, r.Record)
				continue
			}
			if alerts[r.Alert] {
				t.Errorf("%s: defined twice", where)
			}
			alerts[r.Alert] = true
			switch r.Labels["severity"] {
			case "critical", "warning", "info":
			default:
				t.Errorf("%s: severity %q, want critical, warning or info", where, r.Labels["severity"])
			}
			for _, a := range []string{"summary", "description"} {
				if strings.TrimSpace(r.Annotations[a]) == "" {
					t.Errorf("%s: no %s annotation", where, a)
				}
			}
			if !strings.Contains(r.Annotations["description"], "Runbook:") {
				t.Errorf("%s: the description has no \"Runbook:\" hint", where)
			}
			names := metricNames(r.Expr)
			if len(names) == 0 {
				t.Errorf("%s: no metric in %q", where, r.Expr)
			}
			checkNames(t, known, where, r.Expr, names)
		}
	}
	for _, want := range []string{
		"ModgateReloadFailing", "ModgateRuleErrors", "ModgateLatencyNearBudget",
		"ModgateDown", "ModgateDropRateAnomalous", "ModgateRequestsRejected",
		"ModgateRulesDropped", "ModgateEvaluationTimeouts",
	} {
		if !alerts[want] {
			t.Errorf("alert %s is missing", want)
		}
	}
}

// TestManifests checks that the Kubernetes and compose examples parse and
// hold what the README promises.
func TestManifests(t *testing.T) {
	objs := map[string][]map[string]any{} // kind → objects
	for _, dir := range []string{"kubernetes", "compose"} {
		for _, path := range yamlFiles(t, dir) {
			for _, doc := range decodeAll(t, path) {
				if k, ok := doc["kind"].(string); ok {
					meta, _ := doc["metadata"].(map[string]any)
					if name, _ := meta["name"].(string); name == "modgate-redis" {
						k = "redis " + k // the state store's, checked in RedisStore
					}
					objs[k] = append(objs[k], doc)
				}
			}
		}
	}
	for _, kind := range []string{"Deployment", "Service", "ConfigMap", "Secret", "ServiceMonitor",
		"PodDisruptionBudget", "HorizontalPodAutoscaler", "Kustomization"} {
		if len(objs[kind]) != 1 {
			t.Errorf("want one %s, found %d", kind, len(objs[kind]))
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	cm := objs["ConfigMap"][0]
	secret := objs["Secret"][0]

	t.Run("Deployment", func(t *testing.T) {
		checkDeployment(t, objs["Deployment"][0], cm, secret)
	})
	t.Run("ConfigMap", func(t *testing.T) {
		checkConfigMap(t, cm)
	})
	t.Run("RedisStore", func(t *testing.T) {
		// Replicas count in one Redis: the config says redis, the
		// Deployment points MODGATE_REDIS_URL at the Service redis.yaml runs.
		if len(objs["redis Deployment"]) != 1 || len(objs["redis Service"]) != 1 {
			t.Fatalf("want a modgate-redis Deployment and Service, found %d and %d", len(objs["redis Deployment"]), len(objs["redis Service"]))
		}
		config := dig[string](t, cm, "data", "config.yaml")
		cfg, err := server.ParseConfig("config.yaml", []byte(config), func(k string) string {
			return map[string]string{server.EnvPassword: "x", "MODGATE_REDIS_URL": "redis://modgate-redis:6379/0"}[k]
		})
		if err != nil {
			t.Fatal(err)
		}
		if cfg.State.Backend != "redis" {
			t.Errorf("state.backend %q: with replicas, memory counts per replica", cfg.State.Backend)
		}
		c := dig[[]any](t, objs["Deployment"][0], "spec", "template", "spec", "containers")[0].(map[string]any)
		var url string
		for _, e := range dig[[]any](t, c, "env") {
			if e := e.(map[string]any); e["name"] == cfg.State.Redis.URLEnv {
				url, _ = e["value"].(string)
			}
		}
		svc := objs["redis Service"][0]
		want := fmt.Sprintf("redis://%s:%v/0", dig[string](t, svc, "metadata", "name"), dig[[]any](t, svc, "spec", "ports")[0].(map[string]any)["port"])
		if url != want {
			t.Errorf("%s = %q, want %q (the Service in redis.yaml)", cfg.State.Redis.URLEnv, url, want)
		}
	})
	t.Run("Kustomization", func(t *testing.T) {
		var res []string
		for _, r := range dig[[]any](t, objs["Kustomization"][0], "resources") {
			res = append(res, r.(string))
		}
		for _, path := range yamlFiles(t, "kubernetes") {
			name := filepath.Base(path)
			if name != "kustomization.yaml" && !slices.Contains(res, name) {
				t.Errorf("kustomization.yaml does not list %s", name)
			}
		}
		for _, r := range res {
			if _, err := os.Stat(filepath.Join("kubernetes", r)); err != nil {
				t.Errorf("kustomization.yaml lists %s: %v", r, err)
			}
		}
	})
	t.Run("ServiceMonitor", func(t *testing.T) {
		// The alerts select job="modgate": the Operator names the job
		// after the Service.
		svc := objs["Service"][0]
		if name := dig[string](t, svc, "metadata", "name"); name != "modgate" {
			t.Errorf("Service is named %q; the alerts assume job=\"modgate\"", name)
		}
		ports := map[string]bool{}
		for _, p := range dig[[]any](t, svc, "spec", "ports") {
			ports[p.(map[string]any)["name"].(string)] = true
		}
		for _, ep := range dig[[]any](t, objs["ServiceMonitor"][0], "spec", "endpoints") {
			if port := ep.(map[string]any)["port"]; !ports[port.(string)] {
				t.Errorf("ServiceMonitor scrapes port %v, the Service has %v", port, ports)
			}
		}
	})
}

func checkDeployment(t *testing.T, dep, cm, secret map[string]any) {
	t.Helper()
	spec := dig[map[string]any](t, dep, "spec", "template", "spec")
	containers := dig[[]any](t, spec, "containers")
	if len(containers) != 1 {
		t.Fatalf("want one container, got %d", len(containers))
	}
	c := containers[0].(map[string]any)

	if args := strings.Join(strs(dig[[]any](t, c, "args")), " "); args != "serve --config /etc/modgate/config.yaml" {
		t.Errorf("args %q", args)
	}

	// The ConfigMap is mounted as a directory: a subPath mount would never
	// see an update, and hot reload would silently stop.
	volumes := map[string]string{} // volume name → ConfigMap name
	for _, v := range dig[[]any](t, spec, "volumes") {
		v := v.(map[string]any)
		if src, ok := v["configMap"].(map[string]any); ok {
			volumes[v["name"].(string)] = src["name"].(string)
		}
	}
	cmName := dig[string](t, cm, "metadata", "name")
	mounted := false
	for _, m := range dig[[]any](t, c, "volumeMounts") {
		m := m.(map[string]any)
		if volumes[m["name"].(string)] != cmName {
			continue
		}
		if _, ok := m["subPath"]; ok {
			t.Errorf("volumeMount %v uses subPath: ConfigMap updates would never reach the pod", m["name"])
		}
		if m["mountPath"] == "/etc/modgate" {
			mounted = true
		}
	}
	if !mounted {
		t.Errorf("ConfigMap %s is not mounted at /etc/modgate", cmName)
	}

	// Locked down: non-root, read-only root filesystem, no privileges.
	podSC, _ := spec["securityContext"].(map[string]any)
	sc := dig[map[string]any](t, c, "securityContext")
	either := func(key string) any {
		if v, ok := sc[key]; ok {
			return v
		}
		return podSC[key]
	}
	for key, want := range map[string]any{"runAsNonRoot": true, "runAsUser": 65532} {
		if got := either(key); got != want {
			t.Errorf("securityContext.%s = %v, want %v", key, got, want)
		}
	}
	for key, want := range map[string]any{"readOnlyRootFilesystem": true, "allowPrivilegeEscalation": false} {
		if got := sc[key]; got != want {
			t.Errorf("container securityContext.%s = %v, want %v", key, got, want)
		}
	}
	if drop := strs(dig[[]any](t, sc, "capabilities", "drop")); !slices.Contains(drop, "ALL") {
		t.Errorf("capabilities.drop = %v, want ALL", drop)
	}

	// Probes on the admin port.
	adminPorts := map[any]bool{9090: true}
	for _, p := range dig[[]any](t, c, "ports") {
		p := p.(map[string]any)
		if p["containerPort"] == 9090 {
			adminPorts[p["name"]] = true
		}
	}
	for probe, path := range map[string]string{"readinessProbe": "/readyz", "livenessProbe": "/healthz"} {
		get := dig[map[string]any](t, c, probe, "httpGet")
		if get["path"] != path || !adminPorts[get["port"]] {
			t.Errorf("%s = %v, want GET %s on the admin port 9090", probe, get, path)
		}
	}

	// The password comes from the Secret, under a key it has.
	found := false
	for _, e := range dig[[]any](t, c, "env") {
		e := e.(map[string]any)
		if e["name"] != server.EnvPassword {
			continue
		}
		found = true
		ref := dig[map[string]any](t, e, "valueFrom", "secretKeyRef")
		if ref["name"] != dig[string](t, secret, "metadata", "name") {
			t.Errorf("%s comes from Secret %v, not from %v", server.EnvPassword, ref["name"], secret["metadata"])
		}
		if _, ok := dig[map[string]any](t, secret, "stringData")[ref["key"].(string)]; !ok {
			t.Errorf("the Secret has no key %v", ref["key"])
		}
	}
	if !found {
		t.Errorf("no %s in the container's env", server.EnvPassword)
	}
}

// checkConfigMap lays the ConfigMap's keys out as the kubelet does, in one
// directory, and loads its config and every rule file the config names.
func checkConfigMap(t *testing.T, cm map[string]any) {
	t.Helper()
	dir := t.TempDir()
	for key, val := range dig[map[string]any](t, cm, "data") {
		if strings.Contains(key, "/") {
			t.Errorf("ConfigMap key %q: keys are file names, without a directory", key)
			continue
		}
		writeFile(t, filepath.Join(dir, key), val.(string))
	}
	loadConfigAndRules(t, filepath.Join(dir, "config.yaml"))
}

// TestDockerConfig loads the image's config with the rule packs laid out as
// the Dockerfile copies them: /etc/modgate/config.yaml and
// /etc/modgate/rules/.
func TestDockerConfig(t *testing.T) {
	etc := filepath.Join(t.TempDir(), "etc", "modgate")
	writeFile(t, filepath.Join(etc, "config.yaml"), string(readFile(t, "docker/config.yaml")))
	// As the Dockerfile lays it out: the starter pack and the lists.
	writeFile(t, filepath.Join(etc, "rules", "starter.yaml"), string(readFile(t, "rules/starter.yaml")))
	copyDir(t, "rules/lists", filepath.Join(etc, "rules", "lists"))
	cfg := loadConfigAndRules(t, filepath.Join(etc, "config.yaml"))
	if cfg.Listen != ":8080" || cfg.AdminListen != ":9090" {
		t.Errorf("listen %q, admin_listen %q: the Dockerfile exposes :8080 and :9090", cfg.Listen, cfg.AdminListen)
	}
	if cfg.Auth == nil || cfg.Auth.PasswordEnv != server.EnvPassword {
		t.Errorf("auth %+v: want the password from %s", cfg.Auth, server.EnvPassword)
	}
	// Without the password the container must refuse to start.
	if _, err := server.ParseConfig(filepath.Join(etc, "config.yaml"), readFile(t, "docker/config.yaml"),
		func(string) string { return "" }); err == nil {
		t.Errorf("the image's config loads without %s: the gateway would run open", server.EnvPassword)
	}
}

func TestCompose(t *testing.T) {
	docs := decodeAll(t, "compose/compose.yaml")
	if len(docs) != 1 {
		t.Fatalf("compose.yaml: %d documents", len(docs))
	}
	services := dig[map[string]any](t, docs[0], "services")
	for _, s := range []string{"modgate", "prometheus", "grafana", "redis"} {
		if _, ok := services[s]; !ok {
			t.Errorf("compose.yaml has no service %s", s)
		}
	}
	ctx := dig[string](t, services, "modgate", "build", "context")
	if _, err := os.Stat(filepath.Join("compose", ctx, "Dockerfile")); err != nil {
		t.Errorf("build context %s: %v", ctx, err)
	}
	// Every bind mount's source exists (relative to compose.yaml).
	for name, s := range services {
		vols, _ := s.(map[string]any)["volumes"].([]any)
		for _, v := range vols {
			src := strings.SplitN(v.(string), ":", 2)[0]
			if _, err := os.Stat(filepath.Join("compose", src)); err != nil {
				t.Errorf("service %s mounts %s: %v", name, src, err)
			}
		}
	}

	// The config compose mounts counts in the compose file's Redis, with
	// the repository's rule packs.
	etc := filepath.Join(t.TempDir(), "etc", "modgate")
	writeFile(t, filepath.Join(etc, "config.yaml"), string(readFile(t, "compose/config.yaml")))
	copyDir(t, "rules", filepath.Join(etc, "rules"))
	if cfg := loadConfigAndRules(t, filepath.Join(etc, "config.yaml")); cfg.State.Backend != "redis" {
		t.Errorf("compose/config.yaml: state.backend %q, want redis", cfg.State.Backend)
	}
	env, _ := dig[map[string]any](t, services, "modgate")["environment"].(map[string]any)
	if url, _ := env["MODGATE_REDIS_URL"].(string); !strings.HasPrefix(url, "redis://redis:") {
		t.Errorf("modgate's MODGATE_REDIS_URL = %q, want the redis service", url)
	}

	prom := decodeAll(t, "compose/prometheus.yml")[0]
	for _, rf := range strs(dig[[]any](t, prom, "rule_files")) {
		if _, err := os.Stat(filepath.Join("compose", rf)); err != nil {
			t.Errorf("prometheus.yml rule file %s: %v", rf, err)
		}
	}
	jobs := map[string]bool{}
	for _, sc := range dig[[]any](t, prom, "scrape_configs") {
		jobs[sc.(map[string]any)["job_name"].(string)] = true
	}
	if !jobs["modgate"] {
		t.Errorf("prometheus.yml has no job modgate; the alerts select job=\"modgate\" (jobs: %v)", jobs)
	}
}

// loadConfigAndRules parses the config at path as `modgate serve` would,
// with MODGATE_WEBHOOK_PASSWORD set, and loads the rule files it names.
func loadConfigAndRules(t *testing.T, path string) *server.Config {
	t.Helper()
	getenv := func(k string) string {
		switch k {
		case server.EnvPassword:
			return "x"
		case "MODGATE_REDIS_URL":
			return "redis://redis:6379/0"
		}
		return ""
	}
	cfg, err := server.ParseConfig(path, readFile(t, path), getenv)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	files, err := cfg.RuleFiles()
	if err != nil {
		t.Fatalf("rule files: %v", err)
	}
	rs, err := rules.Load(files)
	if err != nil {
		t.Fatalf("rules:\n%v", err)
	}
	if len(rs.Rules) == 0 {
		t.Errorf("%s loads no rules", path)
	}
	return cfg
}

// yamlFiles lists the YAML files under dir.
func yamlFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ext := filepath.Ext(path); !d.IsDir() && (ext == ".yaml" || ext == ".yml") {
			out = append(out, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("no YAML files under %s", dir)
	}
	return out
}

// decodeAll decodes every document of a YAML file.
func decodeAll(t *testing.T, path string) []map[string]any {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(readFile(t, path)))
	var docs []map[string]any
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if doc != nil {
			docs = append(docs, doc)
		}
	}
}

// decodeStrict decodes a YAML file into v, refusing unknown keys.
func decodeStrict(t *testing.T, path string, v any) {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(readFile(t, path)))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// dig walks nested maps along keys and returns the value there as a T.
func dig[T any](t *testing.T, v any, keys ...string) T {
	t.Helper()
	for i, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s: not a map", strings.Join(keys[:i], "."))
		}
		if v, ok = m[k]; !ok {
			t.Fatalf("%s: missing", strings.Join(keys[:i+1], "."))
		}
	}
	out, ok := v.(T)
	if !ok {
		t.Fatalf("%s: %T, not %T", strings.Join(keys, "."), v, out)
	}
	return out
}

// strs converts a YAML list of strings.
func strs(xs []any) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i], _ = x.(string)
	}
	return out
}

// readFile reads a file; relative paths are relative to examples/, where
// go test runs.
func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
}
