package deploy

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// manifests are the decoded files of deploy/kubernetes.
type manifests struct {
	namespace      corev1.Namespace
	configMap      corev1.ConfigMap
	secret         corev1.Secret
	deployment     appsv1.Deployment
	service        corev1.Service
	pdb            policyv1.PodDisruptionBudget
	hpa            autoscalingv2.HorizontalPodAutoscaler
	networkPolicy  networkingv1.NetworkPolicy
	serviceMonitor serviceMonitor
	kustomization  kustomization
}

// serviceMonitor is the part of monitoring.coreos.com/v1 ServiceMonitor these manifests use.
// A typed subset instead of the Prometheus Operator's module: that module pins its own
// k8s.io versions and brings a large dependency tree for four fields. Strict decoding still
// rejects any field not listed here, so a typo cannot pass unnoticed.
type serviceMonitor struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Selector  metav1.LabelSelector `json:"selector"`
		Endpoints []struct {
			Port          string `json:"port"`
			Path          string `json:"path"`
			Interval      string `json:"interval"`
			ScrapeTimeout string `json:"scrapeTimeout"`
		} `json:"endpoints"`
	} `json:"spec"`
}

// kustomization is the part of kustomize.config.k8s.io/v1beta1 Kustomization used here.
type kustomization struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace"`
	Labels     []struct {
		Pairs map[string]string `json:"pairs"`
	} `json:"labels"`
	Resources []string `json:"resources"`
	Images    []struct {
		Name    string `json:"name"`
		NewName string `json:"newName"`
		NewTag  string `json:"newTag"`
	} `json:"images"`
}

// decodeStrict reads one manifest into v, refusing unknown and duplicate fields, and checks
// that its apiVersion and kind are the ones v stands for.
func decodeManifest(t *testing.T, file, apiVersion, kind string, v any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("kubernetes", file))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(data, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(data, &tm); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if tm.APIVersion != apiVersion || tm.Kind != kind {
		t.Fatalf("%s: is %s %s, want %s %s", file, tm.APIVersion, tm.Kind, apiVersion, kind)
	}
}

func loadManifests(t *testing.T) *manifests {
	t.Helper()
	var m manifests
	decodeManifest(t, "namespace.yaml", "v1", "Namespace", &m.namespace)
	decodeManifest(t, "configmap.yaml", "v1", "ConfigMap", &m.configMap)
	decodeManifest(t, "secret.yaml", "v1", "Secret", &m.secret)
	decodeManifest(t, "deployment.yaml", "apps/v1", "Deployment", &m.deployment)
	decodeManifest(t, "service.yaml", "v1", "Service", &m.service)
	decodeManifest(t, "pdb.yaml", "policy/v1", "PodDisruptionBudget", &m.pdb)
	decodeManifest(t, "hpa.yaml", "autoscaling/v2", "HorizontalPodAutoscaler", &m.hpa)
	decodeManifest(t, "networkpolicy.yaml", "networking.k8s.io/v1", "NetworkPolicy", &m.networkPolicy)
	decodeManifest(t, "servicemonitor.yaml", "monitoring.coreos.com/v1", "ServiceMonitor", &m.serviceMonitor)
	decodeManifest(t, "kustomization.yaml", "kustomize.config.k8s.io/v1beta1", "Kustomization", &m.kustomization)
	return &m
}

func TestKustomizationListsEveryManifest(t *testing.T) {
	m := loadManifests(t)
	files, err := filepath.Glob(filepath.Join("kubernetes", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, f := range files {
		if base := filepath.Base(f); base != "kustomization.yaml" {
			want = append(want, base)
		}
	}
	got := slices.Clone(m.kustomization.Resources)
	sort.Strings(got)
	if !slices.Equal(got, want) {
		t.Errorf("kustomization resources = %v, files = %v", got, want)
	}
	if m.kustomization.Namespace != m.namespace.Name {
		t.Errorf("kustomization namespace %q, namespace.yaml creates %q", m.kustomization.Namespace, m.namespace.Name)
	}
	container := gatewayContainer(t, m)
	if !slices.ContainsFunc(m.kustomization.Images, func(i struct {
		Name    string `json:"name"`
		NewName string `json:"newName"`
		NewTag  string `json:"newTag"`
	}) bool {
		return i.Name == container.Image
	}) {
		t.Errorf("kustomization images do not set the container image %q", container.Image)
	}
}

func gatewayContainer(t *testing.T, m *manifests) corev1.Container {
	t.Helper()
	cs := m.deployment.Spec.Template.Spec.Containers
	if len(cs) != 1 || cs[0].Name != "gateway" {
		t.Fatalf("deployment containers = %d, want the one gateway container", len(cs))
	}
	return cs[0]
}

func TestDeployment(t *testing.T) {
	m := loadManifests(t)
	d := m.deployment
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 3 {
		t.Errorf("replicas = %v, want 3", d.Spec.Replicas)
	}
	podLabels := d.Spec.Template.Labels
	if !selects(t, d.Spec.Selector, podLabels) {
		t.Errorf("deployment selector %v does not select its pod labels %v", d.Spec.Selector, podLabels)
	}
	c := gatewayContainer(t, m)
	if !slices.Equal(c.Args, []string{"serve"}) {
		t.Errorf("args = %v, want [serve]", c.Args)
	}

	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if ports["http"] == 0 || ports["admin"] == 0 {
		t.Fatalf("container ports %v, want http and admin", ports)
	}
	// The listeners the ConfigMap configures are the ports the container declares.
	for key, name := range map[string]string{"GATEWAY_ADDR": "http", "GATEWAY_ADMIN_ADDR": "admin"} {
		_, port, err := net.SplitHostPort(m.configMap.Data[key])
		if err != nil {
			t.Errorf("configmap %s: %v", key, err)
		} else if port != itoa(ports[name]) {
			t.Errorf("configmap %s port %s, container port %s is %d", key, port, name, ports[name])
		}
	}

	probes := map[string]*corev1.Probe{"startup": c.StartupProbe, "readiness": c.ReadinessProbe, "liveness": c.LivenessProbe}
	wantPath := map[string]string{"startup": "/healthz", "readiness": "/readyz", "liveness": "/healthz"}
	for kind, p := range probes {
		if p == nil || p.HTTPGet == nil {
			t.Errorf("%s probe: missing or not httpGet", kind)
			continue
		}
		if p.HTTPGet.Path != wantPath[kind] {
			t.Errorf("%s probe path %s, want %s", kind, p.HTTPGet.Path, wantPath[kind])
		}
		if port := p.HTTPGet.Port.String(); port != "admin" && port != itoa(ports["admin"]) {
			t.Errorf("%s probe port %s, want the admin port", kind, port)
		}
	}

	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if _, ok := c.Resources.Requests[r]; !ok {
			t.Errorf("no %s request", r)
		}
	}
	if _, ok := c.Resources.Limits[corev1.ResourceMemory]; !ok {
		t.Error("no memory limit")
	}

	sc := c.SecurityContext
	switch {
	case sc == nil:
		t.Fatal("no container securityContext")
	case sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot:
		t.Error("runAsNonRoot is not true")
	case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
		t.Error("readOnlyRootFilesystem is not true")
	case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
		t.Error("allowPrivilegeEscalation is not false")
	case sc.Privileged != nil && *sc.Privileged:
		t.Error("privileged")
	case sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0:
		t.Errorf("capabilities %v, want drop ALL and add none", sc.Capabilities)
	}
	if psc := d.Spec.Template.Spec.SecurityContext; psc == nil || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		t.Error("pod runAsUser is unset or root")
	}
}

// TestDeploymentEnvironment checks the wiring of the configuration: every variable is one
// docs/operations.md documents, every reference names an existing key, and nothing in the ConfigMap
// or Secret is left unused.
func TestDeploymentEnvironment(t *testing.T) {
	m := loadManifests(t)
	documented := configurationVariables(t)
	c := gatewayContainer(t, m)
	if len(c.EnvFrom) > 0 {
		t.Error("envFrom hides which variables are set; name each one in env")
	}
	usedConfig, usedSecret := map[string]bool{}, map[string]bool{}
	for _, e := range c.Env {
		if !documented[e.Name] {
			t.Errorf("env %s is not a variable of docs/operations.md \"Configuration\"", e.Name)
		}
		if e.Value != "" {
			t.Errorf("env %s has a literal value; put it in the ConfigMap", e.Name)
		}
		switch src := e.ValueFrom; {
		case src == nil:
			t.Errorf("env %s has no valueFrom", e.Name)
		case src.ConfigMapKeyRef != nil:
			ref := src.ConfigMapKeyRef
			if ref.Name != m.configMap.Name {
				t.Errorf("env %s: configMapKeyRef to %q, the ConfigMap is %q", e.Name, ref.Name, m.configMap.Name)
			}
			if _, ok := m.configMap.Data[ref.Key]; !ok {
				t.Errorf("env %s: ConfigMap has no key %s", e.Name, ref.Key)
			}
			usedConfig[ref.Key] = true
		case src.SecretKeyRef != nil:
			ref := src.SecretKeyRef
			if ref.Name != m.secret.Name {
				t.Errorf("env %s: secretKeyRef to %q, the Secret is %q", e.Name, ref.Name, m.secret.Name)
			}
			if _, ok := m.secret.StringData[ref.Key]; !ok {
				t.Errorf("env %s: Secret has no key %s", e.Name, ref.Key)
			}
			usedSecret[ref.Key] = true
		default:
			t.Errorf("env %s: valueFrom is neither a ConfigMap nor a Secret key", e.Name)
		}
	}
	for k := range m.configMap.Data {
		if !usedConfig[k] {
			t.Errorf("ConfigMap key %s is not used by the Deployment", k)
		}
	}
	for k, v := range m.secret.StringData {
		if !usedSecret[k] {
			t.Errorf("Secret key %s is not used by the Deployment", k)
		}
		// The committed Secret holds placeholders only, marked so nobody mistakes them.
		if !strings.Contains(v, "REPLACE_ME") {
			t.Errorf("Secret key %s is not a REPLACE_ME placeholder", k)
		}
	}
	if len(m.secret.Data) > 0 {
		t.Error("Secret uses data; keep placeholders readable in stringData")
	}
	for _, k := range []string{"DATABASE_URL", "GATEWAY_API_KEYS", "PLACETOPAY_LOGIN", "PLACETOPAY_SECRET_KEY",
		"MERCHANT_WEBHOOK_SECRET", "GATEWAY_TOKEN_KEY", "PLACETOPAY_AUTOPAY_WEBHOOK_USER", "PLACETOPAY_AUTOPAY_WEBHOOK_PASSWORD"} {
		if !usedSecret[k] {
			t.Errorf("%s does not come from the Secret", k)
		}
	}
	if got := m.configMap.Data["GATEWAY_ENV"]; got != "production" {
		t.Errorf("GATEWAY_ENV = %q, want production", got)
	}
}

// configurationVariables returns the variable names in the first column of the
// configuration tables of docs/operations.md (rows starting "| `NAME`").
func configurationVariables(t *testing.T) map[string]bool {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	name := regexp.MustCompile("`([A-Z][A-Z0-9_]+)`")
	vars := map[string]bool{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		first := strings.SplitN(line, "|", 3)[1]
		for _, m := range name.FindAllStringSubmatch(first, -1) {
			vars[m[1]] = true
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if !vars["DATABASE_URL"] || !vars["GATEWAY_ENV"] {
		t.Fatalf("docs/operations.md configuration table not found (got %v)", vars)
	}
	return vars
}

func TestServiceAndMonitoring(t *testing.T) {
	m := loadManifests(t)
	podLabels := m.deployment.Spec.Template.Labels
	if !selectsMap(m.service.Spec.Selector, podLabels) {
		t.Errorf("service selector %v does not select the pods %v", m.service.Spec.Selector, podLabels)
	}
	c := gatewayContainer(t, m)
	servicePorts := map[string]bool{}
	for _, p := range m.service.Spec.Ports {
		servicePorts[p.Name] = true
		if !slices.ContainsFunc(c.Ports, func(cp corev1.ContainerPort) bool {
			return cp.Name == p.TargetPort.String() || itoa(cp.ContainerPort) == p.TargetPort.String()
		}) {
			t.Errorf("service port %s targets %s, which the container does not declare", p.Name, p.TargetPort.String())
		}
	}
	if !servicePorts["http"] || !servicePorts["admin"] {
		t.Errorf("service ports %v, want http and admin", servicePorts)
	}

	sm := m.serviceMonitor
	if !selects(t, &sm.Spec.Selector, m.service.Labels) {
		t.Errorf("ServiceMonitor selector does not select the service labels %v", m.service.Labels)
	}
	if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != "admin" || sm.Spec.Endpoints[0].Path != "/metrics" {
		t.Errorf("ServiceMonitor endpoints %+v, want admin /metrics", sm.Spec.Endpoints)
	}
}

func TestDisruptionBudgetAndAutoscaler(t *testing.T) {
	m := loadManifests(t)
	podLabels := m.deployment.Spec.Template.Labels
	if !selects(t, m.pdb.Spec.Selector, podLabels) {
		t.Errorf("PDB selector does not select the pods %v", podLabels)
	}
	if m.pdb.Spec.MaxUnavailable == nil && m.pdb.Spec.MinAvailable == nil {
		t.Error("PDB sets neither maxUnavailable nor minAvailable")
	}

	ref := m.hpa.Spec.ScaleTargetRef
	if ref.APIVersion != "apps/v1" || ref.Kind != "Deployment" || ref.Name != m.deployment.Name {
		t.Errorf("HPA targets %s %s %s, want apps/v1 Deployment %s", ref.APIVersion, ref.Kind, ref.Name, m.deployment.Name)
	}
	if m.hpa.Spec.MinReplicas == nil || *m.hpa.Spec.MinReplicas != *m.deployment.Spec.Replicas {
		t.Errorf("HPA minReplicas %v, want the Deployment's %d", m.hpa.Spec.MinReplicas, *m.deployment.Spec.Replicas)
	}
	if m.hpa.Spec.MaxReplicas < *m.hpa.Spec.MinReplicas {
		t.Errorf("HPA maxReplicas %d below minReplicas", m.hpa.Spec.MaxReplicas)
	}
	if len(m.hpa.Spec.Metrics) == 0 {
		t.Error("HPA has no metrics")
	}
	// Utilization targets are relative to requests: without a CPU request the HPA cannot act.
	if _, ok := gatewayContainer(t, m).Resources.Requests[corev1.ResourceCPU]; !ok {
		t.Error("HPA scales on CPU but the container requests none")
	}
}

func TestNetworkPolicy(t *testing.T) {
	m := loadManifests(t)
	np := m.networkPolicy.Spec
	if !selects(t, &np.PodSelector, m.deployment.Spec.Template.Labels) {
		t.Error("NetworkPolicy does not select the gateway pods")
	}
	if !slices.Equal(np.PolicyTypes, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}) {
		t.Errorf("policyTypes %v, want Ingress and Egress", np.PolicyTypes)
	}
	containerPorts := map[string]bool{}
	for _, p := range gatewayContainer(t, m).Ports {
		containerPorts[p.Name] = true
	}
	// ingress: which sources may reach each port.
	sources := map[string][]networkingv1.NetworkPolicyPeer{}
	for _, rule := range np.Ingress {
		for _, p := range rule.Ports {
			name := p.Port.String()
			if !containerPorts[name] {
				t.Errorf("ingress port %s is not a named container port", name)
			}
			if len(rule.From) == 0 {
				sources[name] = nil // anywhere
			} else {
				sources[name] = append(sources[name], rule.From...)
			}
		}
	}
	if peers, ok := sources["http"]; !ok || peers != nil {
		t.Errorf("public port: sources %v, want open to anywhere", peers)
	}
	admin := sources["admin"]
	if len(admin) != 1 || admin[0].NamespaceSelector == nil ||
		admin[0].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] != "monitoring" || admin[0].IPBlock != nil {
		t.Errorf("admin port: sources %+v, want only the monitoring namespace", admin)
	}
	egressPorts := map[string]bool{}
	for _, rule := range np.Egress {
		for _, p := range rule.Ports {
			egressPorts[string(*p.Protocol)+"/"+p.Port.String()] = true
		}
	}
	for _, want := range []string{"UDP/53", "TCP/53", "TCP/5432", "TCP/443"} {
		if !egressPorts[want] {
			t.Errorf("egress does not allow %s", want)
		}
	}
	if len(egressPorts) != 4 {
		t.Errorf("egress allows %v; want exactly DNS, Postgres and https", egressPorts)
	}
}

// selects reports whether sel matches labels; a selector that matches everything is refused.
func selects(t *testing.T, sel *metav1.LabelSelector, labels map[string]string) bool {
	t.Helper()
	if sel == nil || len(sel.MatchExpressions) > 0 {
		t.Fatalf("selector %v: want matchLabels only", sel)
	}
	return selectsMap(sel.MatchLabels, labels)
}

func selectsMap(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }
