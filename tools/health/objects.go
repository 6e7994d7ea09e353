package health

import (
	"fmt"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// LoadObject reads one object from a YAML file into the form an informer hands to Argo CD and
// kstatus: JSON decoded by apimachinery, so that integers are int64 as they are from the API server.
func LoadObject(path string) (*unstructured.Unstructured, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	jsonText, err := yaml.YAMLToJSON(text)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	object := &unstructured.Unstructured{}
	if err := object.UnmarshalJSON(jsonText); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return object, nil
}
