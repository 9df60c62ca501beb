// Package deployments holds no code: its tests check the files under
// deployments/ against the code they deploy, so that a renamed variable, a
// moved endpoint or a dropped hardening setting fails CI instead of a
// deployment.
package deployments

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.yaml.in/yaml/v3"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/internal/redistest"
)

// serveDrain is how long `pollbot serve` drains HTTP after SIGTERM
// (cmd/pollbot/serve.go); every stop timeout must leave it room.
const serveDrain = 10 * time.Second

// The tests run in deployments/; the repository root is its parent.
const root = ".."

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// goSources returns the non-test Go files of the packages that read the
// environment: the command and the two chat adapters.
func goSources(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, dir := range []string{"cmd/pollbot", "bot/slack", "bot/discord"} {
		files, err := filepath.Glob(filepath.Join(root, dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if !strings.HasSuffix(f, "_test.go") {
				out[f] = read(t, f)
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("found no Go sources in cmd/pollbot, bot/slack, bot/discord")
	}
	return out
}

var (
	envLiteral = regexp.MustCompile(`"((?:POLLBOT|SLACK|DISCORD)_[A-Z0-9_]+)"`)
	envMention = regexp.MustCompile(`\b(?:POLLBOT|SLACK|DISCORD)_[A-Z0-9_]*[A-Z0-9]\b`)
)

// knownEnv is every POLLBOT_, SLACK_ and DISCORD_ name that pollbot reads:
// the string literals of those names in its sources.
func knownEnv(t *testing.T) map[string]bool {
	t.Helper()
	known := map[string]bool{}
	for _, src := range goSources(t) {
		for _, m := range envLiteral.FindAllSubmatch(src, -1) {
			known[string(m[1])] = true
		}
	}
	// If these are missing, the scan is broken, not the deployments.
	for _, k := range []string{"POLLBOT_REDIS_URL", "POLLBOT_DATA", "POLLBOT_HTTP_ADDR", "SLACK_BOT_TOKEN", "DISCORD_BOT_TOKEN"} {
		if !known[k] {
			t.Fatalf("the scan of the Go sources did not find %s; known: %v", k, known)
		}
	}
	return known
}

// goRuntimeEnv are variables the Go runtime reads; a deployment may set them.
var goRuntimeEnv = map[string]bool{"GOMEMLIMIT": true, "GOMAXPROCS": true, "GOGC": true, "GODEBUG": true, "GOTRACEBACK": true}

// unknownMentions returns the POLLBOT_, SLACK_ and DISCORD_ names in text
// that pollbot does not read, as "line N: NAME".
func unknownMentions(text string, known map[string]bool) []string {
	var out []string
	for i, line := range strings.Split(text, "\n") {
		for _, name := range envMention.FindAllString(line, -1) {
			if !known[name] {
				out = append(out, fmt.Sprintf("line %d: %s", i+1, name))
			}
		}
	}
	return out
}

func TestDeployUnknownMentionsCatchesTypos(t *testing.T) {
	known := map[string]bool{"POLLBOT_REDIS_URL": true, "SLACK_BOT_TOKEN": true}
	got := unknownMentions("POLLBOT_REDIS_URL=x\nexport POLLBOT_REDIS_ULR=y SLACK_BOT_TOKEN=z\n# DISCORD_TOKEN", known)
	want := []string{"line 2: POLLBOT_REDIS_ULR", "line 3: DISCORD_TOKEN"}
	if !slices.Equal(got, want) {
		t.Errorf("unknownMentions = %q, want %q", got, want)
	}
}

// deploymentFiles walks deployments/ for the files a person deploys from:
// everything but Go files.
func deploymentFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && !strings.HasSuffix(p, ".go") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestDeployEnvVarsAreRead fails when a deployment file, example or the
// README names a setting pollbot does not read: a typo, or a variable the
// code has since renamed.
func TestDeployEnvVarsAreRead(t *testing.T) {
	known := knownEnv(t)
	files := deploymentFiles(t)
	for _, want := range []string{"docker/Dockerfile", "docker/compose.yaml", "kubernetes/deployment.yaml", "systemd/pollbot.service", "README.md"} {
		if !slices.Contains(files, filepath.FromSlash(want)) {
			t.Errorf("deployments/%s is missing", want)
		}
	}
	for _, f := range files {
		for _, u := range unknownMentions(string(read(t, f)), known) {
			t.Errorf("deployments/%s %s: pollbot reads no such variable", f, u)
		}
	}

	// Variables a deployment sets for pollbot, whatever their prefix.
	set := map[string][]string{} // file -> names
	dep := loadDeployment(t)
	for _, e := range dep.container(t).Env {
		set["kubernetes/deployment.yaml"] = append(set["kubernetes/deployment.yaml"], e.Name)
	}
	for _, d := range docsOfKind(t, "kubernetes/configmap.yaml", "ConfigMap") {
		if d.Metadata.Name == envConfigMap {
			for k := range d.Data {
				set["kubernetes/configmap.yaml"] = append(set["kubernetes/configmap.yaml"], k)
			}
		}
	}
	for k := range secretExample(t).StringData {
		set["kubernetes/secret.example.yaml"] = append(set["kubernetes/secret.example.yaml"], k)
	}
	for k := range loadCompose(t).Services["pollbot"].Environment {
		set["docker/compose.yaml"] = append(set["docker/compose.yaml"], k)
	}
	for _, kv := range loadUnit(t)["Service"]["Environment"] {
		name, _, _ := strings.Cut(kv, "=")
		set["systemd/pollbot.service"] = append(set["systemd/pollbot.service"], name)
	}
	for _, f := range []string{"docker/.env.example", "systemd/pollbot.env.example"} {
		set[f] = envFileNames(t, f)
		if len(set[f]) == 0 {
			t.Errorf("deployments/%s sets no variable", f)
		}
	}
	for f, names := range set {
		for _, n := range names {
			// compose.yaml starts Redis with REDIS_PASSWORD from .env.
			if !known[n] && !goRuntimeEnv[n] && (f != "docker/.env.example" || n != "REDIS_PASSWORD") {
				t.Errorf("deployments/%s sets %s, which pollbot does not read", f, n)
			}
		}
	}
}

// envFileNames returns the names an environment file sets, commented-out
// lines included: they are there to be uncommented.
func envFileNames(t *testing.T, name string) []string {
	t.Helper()
	re := regexp.MustCompile(`^#?([A-Za-z_][A-Za-z0-9_]*)=`)
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(read(t, name)))
	for sc.Scan() {
		if m := re.FindStringSubmatch(strings.TrimSpace(sc.Text())); m != nil {
			out = append(out, m[1])
		}
	}
	return out
}

// yamlDocs decodes every document of a YAML file into T.
func yamlDocs[T any](t *testing.T, name string) []T {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(read(t, name)))
	var out []T
	for {
		var v T
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("deployments/%s: %v", name, err)
		}
		out = append(out, v)
	}
	return out
}

func TestDeployYAMLParses(t *testing.T) {
	n := 0
	for _, f := range deploymentFiles(t) {
		if ext := filepath.Ext(f); ext != ".yaml" && ext != ".yml" {
			continue
		}
		n++
		docs := yamlDocs[any](t, f)
		if len(docs) == 0 || slices.Contains(docs, nil) {
			t.Errorf("deployments/%s has an empty document", f)
		}
	}
	if n < 8 {
		t.Errorf("found %d YAML files under deployments/, want at least 8", n)
	}
}

// Kubernetes: the subset of the objects that matters here. Field names are
// matched exactly, so a misspelt key leaves its field empty and fails.

type meta struct {
	Name   string            `yaml:"name"`
	Labels map[string]string `yaml:"labels"`
}

type object struct {
	APIVersion string            `yaml:"apiVersion"`
	Kind       string            `yaml:"kind"`
	Metadata   meta              `yaml:"metadata"`
	Data       map[string]string `yaml:"data"`
	StringData map[string]string `yaml:"stringData"`
}

type probe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port any    `yaml:"port"`
	} `yaml:"httpGet"`
	TimeoutSeconds int `yaml:"timeoutSeconds"`
}

type securityContext struct {
	RunAsNonRoot             *bool `yaml:"runAsNonRoot"`
	RunAsUser                *int  `yaml:"runAsUser"`
	ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
	AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
	Capabilities             struct {
		Drop []string `yaml:"drop"`
	} `yaml:"capabilities"`
	SeccompProfile struct {
		Type string `yaml:"type"`
	} `yaml:"seccompProfile"`
}

type container struct {
	Name  string   `yaml:"name"`
	Image string   `yaml:"image"`
	Args  []string `yaml:"args"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	Env []struct {
		Name  string `yaml:"name"`
		Value string `yaml:"value"`
	} `yaml:"env"`
	EnvFrom []struct {
		SecretRef    *struct{ Name string } `yaml:"secretRef"`
		ConfigMapRef *struct{ Name string } `yaml:"configMapRef"`
	} `yaml:"envFrom"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
	StartupProbe   *probe `yaml:"startupProbe"`
	ReadinessProbe *probe `yaml:"readinessProbe"`
	LivenessProbe  *probe `yaml:"livenessProbe"`
	Lifecycle      struct {
		PreStop struct {
			Sleep struct {
				Seconds int `yaml:"seconds"`
			} `yaml:"sleep"`
		} `yaml:"preStop"`
	} `yaml:"lifecycle"`
	Resources struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	SecurityContext securityContext `yaml:"securityContext"`
}

type deployment struct {
	object `yaml:",inline"`
	Spec   struct {
		Replicas int `yaml:"replicas"`
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Template struct {
			Metadata meta `yaml:"metadata"`
			Spec     struct {
				TerminationGracePeriodSeconds int             `yaml:"terminationGracePeriodSeconds"`
				SecurityContext               securityContext `yaml:"securityContext"`
				TopologySpreadConstraints     []any           `yaml:"topologySpreadConstraints"`
				Affinity                      struct {
					PodAntiAffinity any `yaml:"podAntiAffinity"`
				} `yaml:"affinity"`
				Containers []container `yaml:"containers"`
				Volumes    []struct {
					Name      string `yaml:"name"`
					ConfigMap *struct {
						Name  string `yaml:"name"`
						Items []struct {
							Key  string `yaml:"key"`
							Path string `yaml:"path"`
						} `yaml:"items"`
					} `yaml:"configMap"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

func (d deployment) container(t *testing.T) container {
	t.Helper()
	for _, c := range d.Spec.Template.Spec.Containers {
		if c.Name == "pollbot" {
			return c
		}
	}
	t.Fatal("deployment.yaml has no container named pollbot")
	return container{}
}

// port resolves a probe's or Service's port, a number or a port name.
func (c container) port(p any) int {
	switch p := p.(type) {
	case int:
		return p
	case string:
		for _, cp := range c.Ports {
			if cp.Name == p {
				return cp.ContainerPort
			}
		}
	}
	return 0
}

const envConfigMap = "pollbot-env"

func docsOfKind(t *testing.T, name, kind string) []object {
	t.Helper()
	var out []object
	for _, d := range yamlDocs[object](t, name) {
		if d.Kind == kind {
			out = append(out, d)
		}
	}
	return out
}

func loadDeployment(t *testing.T) deployment {
	t.Helper()
	docs := yamlDocs[deployment](t, "kubernetes/deployment.yaml")
	if len(docs) != 1 || docs[0].Kind != "Deployment" || docs[0].APIVersion != "apps/v1" {
		t.Fatalf("deployment.yaml: want one apps/v1 Deployment, got %d documents", len(docs))
	}
	return docs[0]
}

func secretExample(t *testing.T) object {
	t.Helper()
	s := docsOfKind(t, "kubernetes/secret.example.yaml", "Secret")
	if len(s) != 1 {
		t.Fatalf("secret.example.yaml: want one Secret, got %d", len(s))
	}
	return s[0]
}

// listenPort is serve's default listen port, read from the source.
func listenPort(t *testing.T) int {
	t.Helper()
	re := regexp.MustCompile(`"POLLBOT_HTTP_ADDR",\s*"[^":]*:(\d+)"`)
	var ports []int
	for _, src := range goSources(t) {
		for _, m := range re.FindAllSubmatch(src, -1) {
			p, _ := strconv.Atoi(string(m[1]))
			ports = append(ports, p)
		}
	}
	if len(ports) == 0 {
		t.Fatal(`no default for POLLBOT_HTTP_ADDR found in cmd/pollbot (looked for "POLLBOT_HTTP_ADDR", ":PORT")`)
	}
	if slices.Min(ports) != slices.Max(ports) {
		t.Fatalf("cmd/pollbot has several defaults for POLLBOT_HTTP_ADDR: %v", ports)
	}
	return ports[0]
}

// checkEndpoints fails unless serve registers the paths the probes use.
func checkEndpoints(t *testing.T, paths ...string) {
	t.Helper()
	var all []byte
	for _, src := range goSources(t) {
		all = append(all, src...)
	}
	for _, p := range paths {
		if !bytes.Contains(all, []byte(`"GET `+p+`"`)) {
			t.Errorf("cmd/pollbot registers no GET %s, which the deployments probe", p)
		}
	}
}

type kustomizeImage struct {
	Name    string `yaml:"name"`
	NewName string `yaml:"newName"`
	NewTag  string `yaml:"newTag"`
}

func TestDeployKustomization(t *testing.T) {
	type kustomization struct {
		Kind      string   `yaml:"kind"`
		Resources []string `yaml:"resources"`
		Labels    []struct {
			Pairs            map[string]string `yaml:"pairs"`
			IncludeSelectors bool              `yaml:"includeSelectors"`
		} `yaml:"labels"`
		CommonLabels map[string]string `yaml:"commonLabels"`
		Images       []kustomizeImage  `yaml:"images"`
	}
	docs := yamlDocs[kustomization](t, "kubernetes/kustomization.yaml")
	if len(docs) != 1 || docs[0].Kind != "Kustomization" {
		t.Fatalf("kustomization.yaml: want one Kustomization")
	}
	k := docs[0]
	kinds := map[string]bool{}
	for _, r := range k.Resources {
		if r == "secret.example.yaml" {
			t.Error("kustomization.yaml lists secret.example.yaml: its placeholders would be applied over the real Secret")
		}
		for _, d := range yamlDocs[object](t, filepath.Join("kubernetes", r)) {
			kinds[d.Kind] = true
		}
	}
	for _, want := range []string{"Deployment", "Service", "ConfigMap", "PodDisruptionBudget"} {
		if !kinds[want] {
			t.Errorf("kustomization.yaml resources have no %s", want)
		}
	}
	if kinds["Secret"] {
		t.Error("kustomization.yaml resources include a Secret: tokens do not belong in the repository")
	}
	for _, l := range k.Labels {
		if l.IncludeSelectors {
			t.Error("kustomization.yaml labels with includeSelectors: selectors are immutable, so changing such a label breaks the next apply")
		}
	}
	if len(k.CommonLabels) > 0 {
		t.Error("kustomization.yaml uses commonLabels, which also rewrites selectors; use labels")
	}
	image := loadDeployment(t).container(t).Image
	if !slices.ContainsFunc(k.Images, func(i kustomizeImage) bool {
		return i.Name == image && i.NewName != "" && i.NewTag != ""
	}) {
		t.Errorf("kustomization.yaml has no images entry with newName and newTag for the container image %q", image)
	}

	// kubectl builds the kustomization when it is installed.
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Log("kubectl not on PATH: not building the kustomization")
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, kubectl, "kustomize", "kubernetes").CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl kustomize kubernetes: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("kind: Deployment")) {
		t.Errorf("kubectl kustomize produced no Deployment:\n%s", out)
	}
}

func TestDeployKubernetesDeployment(t *testing.T) {
	d := loadDeployment(t)
	c := d.container(t)
	pod := d.Spec.Template.Spec
	port := listenPort(t)
	checkEndpoints(t, "/healthz", "/readyz")

	if d.Spec.Replicas < 2 {
		t.Errorf("replicas = %d, want at least 2", d.Spec.Replicas)
	}
	if len(d.Spec.Selector.MatchLabels) == 0 {
		t.Error("the Deployment has no selector")
	}
	for k, v := range d.Spec.Selector.MatchLabels {
		if d.Spec.Template.Metadata.Labels[k] != v {
			t.Errorf("selector %s=%s is not a pod template label", k, v)
		}
	}
	if !slices.Equal(c.Args, []string{"serve"}) {
		t.Errorf("container args = %q, want [serve]", c.Args)
	}
	if c.port("http") != port {
		t.Errorf("container port http = %d, want %d (serve's default listen port)", c.port("http"), port)
	}
	for _, p := range []struct {
		name  string
		probe *probe
		path  string
	}{{"readinessProbe", c.ReadinessProbe, "/readyz"}, {"livenessProbe", c.LivenessProbe, "/healthz"}, {"startupProbe", c.StartupProbe, "/healthz"}} {
		switch {
		case p.probe == nil && p.name == "startupProbe":
		case p.probe == nil || p.probe.HTTPGet == nil:
			t.Errorf("%s: want an httpGet probe of %s", p.name, p.path)
		case p.probe.HTTPGet.Path != p.path || c.port(p.probe.HTTPGet.Port) != port:
			t.Errorf("%s probes %s on port %v, want %s on %d", p.name, p.probe.HTTPGet.Path, p.probe.HTTPGet.Port, p.path, port)
		}
	}
	// /readyz gives the store 2 s to answer PING.
	if c.ReadinessProbe != nil && c.ReadinessProbe.TimeoutSeconds <= 2 {
		t.Errorf("readinessProbe timeoutSeconds = %d, want more than the 2 s /readyz waits for the store", c.ReadinessProbe.TimeoutSeconds)
	}

	sc, psc := c.SecurityContext, pod.SecurityContext
	isTrue := func(b ...*bool) bool { return slices.ContainsFunc(b, func(b *bool) bool { return b != nil && *b }) }
	if !isTrue(sc.RunAsNonRoot, psc.RunAsNonRoot) {
		t.Error("runAsNonRoot is not true")
	}
	for _, u := range []*int{sc.RunAsUser, psc.RunAsUser} {
		if u != nil && *u == 0 {
			t.Error("runAsUser is 0")
		}
	}
	if !isTrue(sc.ReadOnlyRootFilesystem) {
		t.Error("readOnlyRootFilesystem is not true")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Error("allowPrivilegeEscalation is not false")
	}
	if !slices.Contains(sc.Capabilities.Drop, "ALL") {
		t.Error("capabilities do not drop ALL")
	}
	if sc.SeccompProfile.Type != "RuntimeDefault" && psc.SeccompProfile.Type != "RuntimeDefault" {
		t.Error("seccompProfile is not RuntimeDefault")
	}
	for _, r := range []string{"cpu", "memory"} {
		if c.Resources.Requests[r] == "" {
			t.Errorf("no resource request for %s", r)
		}
	}
	if c.Resources.Limits["memory"] == "" {
		t.Error("no memory limit")
	}
	if len(pod.TopologySpreadConstraints) == 0 && pod.Affinity.PodAntiAffinity == nil {
		t.Error("replicas are not spread: no topologySpreadConstraints or podAntiAffinity")
	}
	stop := time.Duration(c.Lifecycle.PreStop.Sleep.Seconds)*time.Second + serveDrain
	if grace := time.Duration(pod.TerminationGracePeriodSeconds) * time.Second; grace <= stop {
		t.Errorf("terminationGracePeriodSeconds = %s, want more than the preStop pause and serve's %s drain (%s)", grace, serveDrain, stop)
	}

	// Environment: the Secret, the env ConfigMap, and POLLBOT_CONFIG
	// pointing at the mounted config file.
	var secretRef, configMapRef string
	for _, ef := range c.EnvFrom {
		if ef.SecretRef != nil {
			secretRef = ef.SecretRef.Name
		}
		if ef.ConfigMapRef != nil {
			configMapRef = ef.ConfigMapRef.Name
		}
	}
	secret := secretExample(t)
	if secretRef == "" || secretRef != secret.Metadata.Name {
		t.Errorf("envFrom secretRef %q, want the Secret of secret.example.yaml (%q)", secretRef, secret.Metadata.Name)
	}
	configMaps := map[string]object{}
	for _, cm := range docsOfKind(t, "kubernetes/configmap.yaml", "ConfigMap") {
		configMaps[cm.Metadata.Name] = cm
	}
	if _, ok := configMaps[configMapRef]; configMapRef != envConfigMap || !ok {
		t.Errorf("envFrom configMapRef %q, want %q from configmap.yaml", configMapRef, envConfigMap)
	}
	for k := range configMaps[envConfigMap].Data {
		if _, dup := secret.StringData[k]; dup {
			t.Errorf("%s is in both the ConfigMap and the Secret: the Secret's value silently wins", k)
		}
	}
	var configPath string
	for _, e := range c.Env {
		if e.Name == "POLLBOT_CONFIG" {
			configPath = e.Value
		}
	}
	mounted := ""
	for _, vm := range c.VolumeMounts {
		for _, v := range pod.Volumes {
			if v.Name != vm.Name || v.ConfigMap == nil {
				continue
			}
			for _, it := range v.ConfigMap.Items {
				if path.Join(vm.MountPath, it.Path) == configPath {
					mounted = configMaps[v.ConfigMap.Name].Data[it.Key]
				}
			}
		}
	}
	if configPath == "" || mounted == "" {
		t.Fatalf("POLLBOT_CONFIG=%q is not a file mounted from a ConfigMap in configmap.yaml", configPath)
	}
	// The example must be a configuration pollbot accepts.
	if _, err := bot.LoadConfig(strings.NewReader(mounted)); err != nil {
		t.Errorf("the POLLBOT_CONFIG in configmap.yaml is refused by pollbot: %v", err)
	}
}

func TestDeployKubernetesServiceAndPDB(t *testing.T) {
	d := loadDeployment(t)
	c := d.container(t)
	podLabels := d.Spec.Template.Metadata.Labels
	selects := func(sel map[string]string) bool {
		if len(sel) == 0 {
			return false
		}
		for k, v := range sel {
			if podLabels[k] != v {
				return false
			}
		}
		return true
	}

	type service struct {
		object `yaml:",inline"`
		Spec   struct {
			Type     string            `yaml:"type"`
			Selector map[string]string `yaml:"selector"`
			Ports    []struct {
				Port       int `yaml:"port"`
				TargetPort any `yaml:"targetPort"`
			} `yaml:"ports"`
		} `yaml:"spec"`
	}
	svcs := yamlDocs[service](t, "kubernetes/service.yaml")
	if len(svcs) != 1 || svcs[0].Kind != "Service" {
		t.Fatal("service.yaml: want one Service")
	}
	svc := svcs[0]
	if svc.Spec.Type != "ClusterIP" || len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 80 || c.port(svc.Spec.Ports[0].TargetPort) != listenPort(t) {
		t.Errorf("service.yaml: want ClusterIP port 80 to the container's %d, got %+v", listenPort(t), svc.Spec)
	}
	if !selects(svc.Spec.Selector) {
		t.Errorf("service.yaml selector %v does not select the pods (%v)", svc.Spec.Selector, podLabels)
	}

	type disruptionBudget struct {
		object `yaml:",inline"`
		Spec   struct {
			MinAvailable any `yaml:"minAvailable"`
			Selector     struct {
				MatchLabels map[string]string `yaml:"matchLabels"`
			} `yaml:"selector"`
		} `yaml:"spec"`
	}
	pdbs := yamlDocs[disruptionBudget](t, "kubernetes/pdb.yaml")
	if len(pdbs) != 1 || pdbs[0].Kind != "PodDisruptionBudget" || pdbs[0].APIVersion != "policy/v1" {
		t.Fatal("pdb.yaml: want one policy/v1 PodDisruptionBudget")
	}
	pdb := pdbs[0]
	if pdb.Spec.MinAvailable != 1 {
		t.Errorf("pdb.yaml minAvailable = %v, want 1", pdb.Spec.MinAvailable)
	}
	if !selects(pdb.Spec.Selector.MatchLabels) {
		t.Errorf("pdb.yaml selector %v does not select the pods (%v)", pdb.Spec.Selector.MatchLabels, podLabels)
	}
}

// dockerInstruction is one instruction of a Dockerfile, continuation lines
// joined and comments dropped.
type dockerInstruction struct {
	cmd  string // upper case
	args string
}

func parseDockerfile(t *testing.T, name string) (stages [][]dockerInstruction, args map[string]string) {
	t.Helper()
	args = map[string]string{}
	var cur strings.Builder
	var all []dockerInstruction
	for line := range strings.SplitSeq(string(read(t, name)), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && cur.Len() == 0) {
			continue
		}
		if rest, ok := strings.CutSuffix(trimmed, `\`); ok {
			cur.WriteString(rest + " ")
			continue
		}
		cur.WriteString(trimmed)
		cmd, rest, _ := strings.Cut(cur.String(), " ")
		all = append(all, dockerInstruction{strings.ToUpper(cmd), strings.TrimSpace(rest)})
		cur.Reset()
	}
	for _, in := range all {
		if in.cmd == "FROM" {
			stages = append(stages, nil)
		}
		if len(stages) == 0 {
			if in.cmd == "ARG" {
				k, v, _ := strings.Cut(in.args, "=")
				args[k] = v
			}
			continue
		}
		stages[len(stages)-1] = append(stages[len(stages)-1], in)
	}
	return stages, args
}

// execForm parses a JSON-array instruction argument: ["/pollbot", "serve"].
func execForm(s string) []string {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "[") || !strings.HasSuffix(s, "]") {
		return nil
	}
	var out []string
	for f := range strings.SplitSeq(s[1:len(s)-1], ",") {
		out = append(out, strings.Trim(strings.TrimSpace(f), `"`))
	}
	return out
}

func TestDeployDockerfile(t *testing.T) {
	stages, globalArgs := parseDockerfile(t, "docker/Dockerfile")
	if len(stages) < 2 {
		t.Fatalf("Dockerfile has %d stages, want a build stage and a final one", len(stages))
	}
	find := func(stage []dockerInstruction, cmd string) []string {
		var out []string
		for _, in := range stage {
			if in.cmd == cmd {
				out = append(out, in.args)
			}
		}
		return out
	}

	// The build stage: the Go of go.mod, a static, trimmed build with the
	// version stamped into the variable that `pollbot version` prints.
	build := stages[0]
	from := strings.Fields(find(build, "FROM")[0])
	image := from[slices.IndexFunc(from, func(f string) bool { return !strings.HasPrefix(f, "--") })]
	image = strings.ReplaceAll(image, "${GO_VERSION}", globalArgs["GO_VERSION"])
	gomod := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(read(t, filepath.Join(root, "go.mod")))
	if gomod == nil || image != "golang:"+string(gomod[1]) {
		t.Errorf("build stage FROM %s, want golang:%s (go.mod's go version)", image, gomod[1])
	}
	runs := strings.Join(find(build, "RUN"), "\n")
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-X main.version=", "--mount=type=cache,target=/go/pkg/mod", "./cmd/pollbot"} {
		if !strings.Contains(runs, want) {
			t.Errorf("build stage RUN lacks %s", want)
		}
	}
	if !regexp.MustCompile(`(?m)^var version\b`).Match(slices.Concat(slices.Collect(maps.Values(goSources(t)))...)) {
		t.Error("-X main.version: cmd/pollbot declares no package-level var version")
	}

	// The final stage: distroless or scratch, a non-root user, pollbot
	// checking its own health, and the port serve listens on.
	final := stages[len(stages)-1]
	base := strings.Fields(find(final, "FROM")[0])[0]
	if !strings.HasPrefix(base, "gcr.io/distroless/static") && base != "scratch" {
		t.Errorf("final stage FROM %s, want gcr.io/distroless/static… or scratch", base)
	}
	users := find(final, "USER")
	if len(users) == 0 {
		t.Error("final stage sets no USER")
	}
	for _, u := range users {
		name, _, _ := strings.Cut(u, ":")
		if name == "root" || name == "0" {
			t.Errorf("final stage USER %s is root", u)
		}
	}
	entry := execForm(strings.Join(find(final, "ENTRYPOINT"), ""))
	if len(entry) != 1 {
		t.Fatalf("final stage ENTRYPOINT %q, want the binary alone in exec form", entry)
	}
	if !slices.ContainsFunc(find(final, "COPY"), func(c string) bool { return strings.HasSuffix(c, " "+entry[0]) }) {
		t.Errorf("final stage copies nothing to %s, its ENTRYPOINT", entry[0])
	}
	hc := find(final, "HEALTHCHECK")
	if len(hc) != 1 {
		t.Fatalf("final stage has %d HEALTHCHECKs, want 1", len(hc))
	}
	_, cmd, _ := strings.Cut(hc[0], "CMD ")
	if argv := execForm(cmd); len(argv) < 2 || argv[0] != entry[0] || argv[1] != "healthcheck" {
		t.Errorf("HEALTHCHECK runs %q, want [%s healthcheck ...]", argv, entry[0])
	}
	if !bytes.Contains(read(t, filepath.Join(root, "cmd/pollbot/main.go")), []byte(`{"healthcheck",`)) {
		t.Error("cmd/pollbot/main.go registers no healthcheck command")
	}
	if p := strconv.Itoa(listenPort(t)); !slices.Contains(find(final, "EXPOSE"), p) {
		t.Errorf("final stage EXPOSEs %q, want %s", find(final, "EXPOSE"), p)
	}
}

type composeFile struct {
	Services map[string]struct {
		Image string `yaml:"image"`
		Build struct {
			Context    string `yaml:"context"`
			Dockerfile string `yaml:"dockerfile"`
		} `yaml:"build"`
		EnvFile     any               `yaml:"env_file"`
		Environment map[string]string `yaml:"environment"`
		Command     []string          `yaml:"command"`
		Volumes     []string          `yaml:"volumes"`
		Healthcheck struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
		DependsOn map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
		Restart         string   `yaml:"restart"`
		ReadOnly        bool     `yaml:"read_only"`
		CapDrop         []string `yaml:"cap_drop"`
		StopGracePeriod string   `yaml:"stop_grace_period"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	docs := yamlDocs[composeFile](t, "docker/compose.yaml")
	if len(docs) != 1 {
		t.Fatalf("compose.yaml: %d documents", len(docs))
	}
	return docs[0]
}

func TestDeployCompose(t *testing.T) {
	c := loadCompose(t)
	p, ok := c.Services["pollbot"]
	r, rok := c.Services["redis"]
	if !ok || !rok {
		t.Fatalf("compose.yaml: want services pollbot and redis, got %v", slices.Sorted(maps.Keys(c.Services)))
	}
	dir := "docker"
	if df := filepath.Join(dir, p.Build.Context, p.Build.Dockerfile); p.Build.Dockerfile == "" || !fileExists(df) {
		t.Errorf("pollbot builds from %q, which does not exist", df)
	}
	if p.EnvFile != ".env" || !fileExists(filepath.Join(dir, ".env.example")) {
		t.Errorf("pollbot env_file = %v, want .env documented by .env.example", p.EnvFile)
	}
	// ${VAR...} is interpolated by compose; any value will do here.
	raw := regexp.MustCompile(`\$\{[^}]*\}`).ReplaceAllString(p.Environment["POLLBOT_REDIS_URL"], "x")
	if u, err := url.Parse(raw); err != nil || u.Scheme != "redis" || u.Host != "redis:6379" {
		t.Errorf("pollbot POLLBOT_REDIS_URL = %q, want redis://…@redis:6379 (the redis service)", p.Environment["POLLBOT_REDIS_URL"])
	}
	if p.DependsOn["redis"].Condition != "service_healthy" {
		t.Error("pollbot does not wait for a healthy redis")
	}
	if !slices.Contains(p.Healthcheck.Test, "healthcheck") {
		t.Errorf("pollbot healthcheck %q does not run pollbot healthcheck", p.Healthcheck.Test)
	}
	if len(p.Healthcheck.Test) < 2 || p.Healthcheck.Test[0] != "CMD" {
		t.Errorf("pollbot healthcheck %q: want exec form (the image has no shell)", p.Healthcheck.Test)
	}
	for name, s := range map[string]string{"pollbot": p.Restart, "redis": r.Restart} {
		if s == "" || s == "no" {
			t.Errorf("%s has no restart policy", name)
		}
	}
	if !p.ReadOnly || !slices.Contains(p.CapDrop, "ALL") {
		t.Error("pollbot: want read_only: true and cap_drop: [ALL]")
	}
	if g, err := time.ParseDuration(p.StopGracePeriod); err != nil || g <= serveDrain {
		t.Errorf("pollbot stop_grace_period %q, want more than serve's %s drain", p.StopGracePeriod, serveDrain)
	}

	// Redis: the official image, the repository's redis.conf, its data on a
	// named volume, a password that is not in the file.
	if !strings.HasPrefix(r.Image, "redis:") {
		t.Errorf("redis image %q, want the official redis image", r.Image)
	}
	var confPath string
	for _, v := range r.Volumes {
		src, dst, _ := strings.Cut(v, ":")
		dst, _, _ = strings.Cut(dst, ":")
		switch {
		case strings.HasSuffix(src, "redis.conf"):
			if filepath.Join(dir, src) != filepath.Join("redis", "redis.conf") {
				t.Errorf("redis mounts %s, want ../redis/redis.conf", src)
			}
			confPath = dst
		case dst == "/data":
			if _, ok := c.Volumes[src]; !ok {
				t.Errorf("redis /data is on %q, not a named volume", src)
			}
		}
	}
	cmd := strings.Join(r.Command, " ")
	if confPath == "" || !strings.Contains(cmd, "redis-server "+confPath) {
		t.Errorf("redis command %q does not start redis-server with the mounted redis.conf (%q)", cmd, confPath)
	}
	if m := regexp.MustCompile(`requirepass\s+(\S+)`).FindStringSubmatch(cmd); m != nil && !strings.HasPrefix(m[1], "$") {
		t.Errorf("compose.yaml hardcodes a Redis password (%s)", m[1])
	}
	if len(r.Healthcheck.Test) == 0 {
		t.Error("redis has no healthcheck, so pollbot's depends_on cannot wait for it")
	}
}

func fileExists(name string) bool {
	st, err := os.Stat(name)
	return err == nil && st.Mode().IsRegular()
}

// redisConf returns the directives of a redis.conf: name -> argument lists.
func redisConf(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(read(t, "redis/redis.conf")))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, _ := strings.Cut(line, " ")
		out[strings.ToLower(k)] = append(out[strings.ToLower(k)], strings.TrimSpace(v))
	}
	return out
}

var redisWant = map[string]string{
	"appendonly":           "yes",
	"appendfsync":          "everysec",
	"aof-use-rdb-preamble": "yes",
	"maxmemory-policy":     "noeviction",
	"protected-mode":       "yes",
}

func TestDeployRedisConf(t *testing.T) {
	conf := redisConf(t)
	for k, want := range redisWant {
		if got := conf[k]; !slices.Equal(got, []string{want}) {
			t.Errorf("redis.conf %s = %q, want %s", k, got, want)
		}
	}
	if len(conf["save"]) == 0 || slices.Contains(conf["save"], `""`) {
		t.Errorf("redis.conf save = %q, want RDB snapshots", conf["save"])
	}
	for _, secret := range []string{"requirepass", "masterauth", "user"} {
		if len(conf[secret]) > 0 {
			t.Errorf("redis.conf sets %s: no password belongs in a committed file", secret)
		}
	}
	if len(conf["dir"]) > 0 {
		t.Error("redis.conf sets dir: Redis applies it before a --dir override, so it must exist wherever the file is used")
	}

	// A real redis-server must accept the file, and apply it.
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		redistest.Check(t, fmt.Errorf("redis-server %w", redistest.ErrNotInstalled))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, port, _ := net.SplitHostPort(addr)
	dir := t.TempDir()
	confPath, err := filepath.Abs(filepath.Join("redis", "redis.conf"))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := exec.Command(bin, confPath, "--port", port, "--bind", "127.0.0.1", "--dir", dir)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Kill()
		<-exited
	}()
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for rdb.Ping(ctx).Err() != nil {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("redis-server refused redis.conf: %v\n%s", err, out.String())
		case <-ctx.Done():
			t.Fatalf("redis-server with redis.conf did not answer PING\n%s", out.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	for k, want := range redisWant {
		got, err := rdb.ConfigGet(ctx, k).Result()
		if err != nil || got[k] != want {
			t.Errorf("redis-server with redis.conf: CONFIG GET %s = %v (%v), want %s", k, got, err, want)
		}
	}
}

// loadUnit parses a systemd unit: section -> key -> values in order.
func loadUnit(t *testing.T) map[string]map[string][]string {
	t.Helper()
	unit := map[string]map[string][]string{}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(read(t, "systemd/pollbot.service")))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			unit[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("pollbot.service: %q is not KEY=VALUE in a section", line)
			}
			unit[section][k] = append(unit[section][k], v)
		}
	}
	return unit
}

func TestDeploySystemd(t *testing.T) {
	unit := loadUnit(t)
	s := unit["Service"]
	last := func(k string) string {
		if v := s[k]; len(v) > 0 {
			return v[len(v)-1]
		}
		return "(unset)"
	}
	for k, want := range map[string]string{
		"User":                    "pollbot",
		"StateDirectory":          "pollbot",
		"EnvironmentFile":         "/etc/pollbot/pollbot.env",
		"Restart":                 "on-failure",
		"NoNewPrivileges":         "yes",
		"ProtectSystem":           "strict",
		"ProtectHome":             "yes",
		"PrivateTmp":              "yes",
		"PrivateDevices":          "yes",
		"CapabilityBoundingSet":   "",
		"MemoryDenyWriteExecute":  "yes",
		"ProtectKernelTunables":   "yes",
		"ProtectKernelModules":    "yes",
		"ProtectControlGroups":    "yes",
		"RestrictNamespaces":      "yes",
		"RestrictSUIDSGID":        "yes",
		"LockPersonality":         "yes",
		"SystemCallArchitectures": "native",
	} {
		if got := last(k); got != want {
			t.Errorf("pollbot.service %s=%s, want %s", k, got, want)
		}
	}
	if !slices.Contains(s["SystemCallFilter"], "@system-service") {
		t.Errorf("pollbot.service SystemCallFilter = %q, want @system-service", s["SystemCallFilter"])
	}
	if fams := strings.Fields(last("RestrictAddressFamilies")); !slices.Contains(fams, "AF_INET") || !slices.Contains(fams, "AF_INET6") || slices.ContainsFunc(fams, func(f string) bool { return strings.HasPrefix(f, "~") }) {
		t.Errorf("pollbot.service RestrictAddressFamilies = %q, want an allow list with AF_INET and AF_INET6", fams)
	}
	if !slices.Contains(s["Environment"], "POLLBOT_DATA=/var/lib/pollbot/pollbot.db") {
		t.Errorf("pollbot.service Environment = %q, want POLLBOT_DATA in the StateDirectory", s["Environment"])
	}
	if f := strings.Fields(last("ExecStart")); len(f) != 2 || path.Base(f[0]) != "pollbot" || f[1] != "serve" {
		t.Errorf("pollbot.service ExecStart=%s, want …/pollbot serve", last("ExecStart"))
	}
	if d, err := time.ParseDuration(last("TimeoutStopSec")); err != nil || d <= serveDrain {
		t.Errorf("pollbot.service TimeoutStopSec=%s, want a duration beyond serve's %s drain", last("TimeoutStopSec"), serveDrain)
	}

	// systemd's own check, where it is installed, with ExecStart pointed at
	// an executable that exists (this test binary): it knows every key.
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Log("systemd-analyze not on PATH: not verifying the unit")
		return
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(read(t, "systemd/pollbot.service")), "ExecStart=/usr/local/bin/pollbot", "ExecStart="+self)
	tmp := filepath.Join(t.TempDir(), "pollbot.service")
	if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, sa, "verify", tmp).CombinedOutput()
	if err != nil || bytes.Contains(out, []byte("pollbot.service")) {
		t.Errorf("systemd-analyze verify pollbot.service: %v\n%s", err, out)
	}
}

// TestDeployReadme checks that the README's relative links lead somewhere
// and that it covers every deployment.
func TestDeployReadme(t *testing.T) {
	text := string(read(t, "README.md"))
	for _, m := range regexp.MustCompile(`\]\(([^)#]+)(#[^)]*)?\)`).FindAllStringSubmatch(text, -1) {
		link := m[1]
		if strings.Contains(link, "://") || strings.HasPrefix(link, "mailto:") {
			continue
		}
		if _, err := os.Stat(filepath.FromSlash(link)); err != nil {
			t.Errorf("README.md links to %s, which does not exist", link)
		}
	}
	for _, f := range []string{"docker/Dockerfile", "docker/compose.yaml", "redis/redis.conf", "kubernetes/", "systemd/pollbot.service", "secret.example.yaml", "pollbot healthcheck"} {
		if !strings.Contains(text, f) {
			t.Errorf("README.md does not mention %s", f)
		}
	}
}
