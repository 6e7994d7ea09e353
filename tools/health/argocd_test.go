package health

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"sigs.k8s.io/yaml"
)

// Argo CD's layout: resource_customizations/<group>/<Kind>/{health.lua,health_test.yaml,testdata/}.
var customizations = filepath.Join("..", "..", "resource_customizations", "imanage.operator.dev")

var kinds = []string{"IManageConnection", "WorkspaceRepository"}

// healthTests is Argo CD's health_test.yaml.
type healthTests struct {
	Tests []struct {
		HealthStatus HealthStatus `json:"healthStatus"`
		InputPath    string       `json:"inputPath"`
	} `json:"tests"`
}

func readHealthTests(t *testing.T, kindDir string) healthTests {
	t.Helper()
	text, err := os.ReadFile(filepath.Join(kindDir, "health_test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var tests healthTests
	if err := yaml.UnmarshalStrict(text, &tests); err != nil {
		t.Fatalf("%s/health_test.yaml: %v", kindDir, err)
	}
	if len(tests.Tests) == 0 {
		t.Fatalf("%s/health_test.yaml has no tests", kindDir)
	}
	return tests
}

func TestHealthLua(t *testing.T) {
	for _, kind := range kinds {
		kindDir := filepath.Join(customizations, kind)
		script, err := os.ReadFile(filepath.Join(kindDir, "health.lua"))
		if err != nil {
			t.Fatal(err)
		}
		for _, test := range readHealthTests(t, kindDir).Tests {
			t.Run(kind+"/"+test.InputPath, func(t *testing.T) {
				object, err := LoadObject(filepath.Join(kindDir, test.InputPath))
				if err != nil {
					t.Fatal(err)
				}
				if object.GetKind() != kind {
					t.Fatalf("%s holds a %s, not a %s", test.InputPath, object.GetKind(), kind)
				}
				got, err := RunHealthScript(string(script), object.Object)
				if err != nil {
					t.Fatal(err)
				}
				if got != test.HealthStatus {
					t.Errorf("health.lua returned %+v, want %+v", got, test.HealthStatus)
				}
			})
		}
	}
}

// Every object read from the API server is a case: none is left untested.
func TestEveryTestdataFileHasACase(t *testing.T) {
	for _, kind := range kinds {
		kindDir := filepath.Join(customizations, kind)
		var inputs []string
		for _, test := range readHealthTests(t, kindDir).Tests {
			inputs = append(inputs, filepath.Clean(test.InputPath))
		}
		files, err := filepath.Glob(filepath.Join(kindDir, "testdata", "*.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		for _, file := range files {
			relative, _ := filepath.Rel(kindDir, file)
			if !slices.Contains(inputs, relative) {
				t.Errorf("%s/%s is in no case of health_test.yaml", kind, relative)
			}
		}
	}
}

// The runner must be as strict as Argo CD, or a script could pass here and fail there.
func TestScriptsGetArgoCDsLibrariesOnly(t *testing.T) {
	for _, script := range []string{
		`return { status = string.upper("healthy") }`,
		`return { status = "Healthy", message = tostring(math.floor(1.5)) }`,
		`return { status = "Healthy", message = os.getenv("HOME") }`,
	} {
		_, err := RunHealthScript(script, map[string]any{})
		var scriptError *ScriptError
		if !errors.As(err, &scriptError) {
			t.Errorf("%s: got %v, want a ScriptError (the library is not open in Argo CD)", script, err)
		}
	}
}

func TestInvalidStatusIsUnknownAsInArgoCD(t *testing.T) {
	got, err := RunHealthScript(`return { status = "Fine", message = "m" }`, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	if want := (HealthStatus{Status: "Unknown", Message: invalidHealthStatus}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}
