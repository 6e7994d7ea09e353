package health

import (
	"path/filepath"
	"slices"
	"testing"

	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

// argoTestdata is an object of Argo CD's testdata; kstatusTestdata one only kstatus reads (a
// terminating object: Argo CD reports "Pending deletion" itself, before any health.lua).
func argoTestdata(kind, name string) string {
	return filepath.Join(customizations, kind, "testdata", name)
}

func kstatusTestdata(kind, name string) string { return filepath.Join("testdata", kind, name) }

type kstatusCase struct {
	path   string
	status status.Status
	// The reason kstatus reports: a Reconciling or Stalled reason, or LatestGenerationNotObserved.
	reason string
}

// What kstatus (Flux, helm --wait) makes of each object read from the API server.
var kstatusCases = []kstatusCase{
	{argoTestdata("IManageConnection", "new.yaml"), status.InProgressStatus, "LatestGenerationNotObserved"},
	{argoTestdata("IManageConnection", "healthy.yaml"), status.CurrentStatus, ""},
	{argoTestdata("IManageConnection", "progressing-new-generation.yaml"), status.InProgressStatus, "LatestGenerationNotObserved"},
	{argoTestdata("IManageConnection", "progressing-reconciling.yaml"), status.InProgressStatus, "RegistrationPending"},
	{argoTestdata("IManageConnection", "progressing-retry.yaml"), status.InProgressStatus, "ProgressingWithRetry"},
	{argoTestdata("IManageConnection", "degraded-stalled.yaml"), status.FailedStatus, "SecretNotFound"},
	// Outside the contract (Ready=False comes with Reconciling or Stalled): kstatus reads it as
	// in progress, Argo CD as Degraded.
	{argoTestdata("IManageConnection", "degraded-not-ready.yaml"), status.InProgressStatus, "ConnectFailed"},
	{argoTestdata("IManageConnection", "suspended.yaml"), status.CurrentStatus, ""},
	{kstatusTestdata("IManageConnection", "terminating.yaml"), status.TerminatingStatus, ""},
	{argoTestdata("WorkspaceRepository", "new.yaml"), status.InProgressStatus, "LatestGenerationNotObserved"},
	{argoTestdata("WorkspaceRepository", "healthy.yaml"), status.CurrentStatus, ""},
	{argoTestdata("WorkspaceRepository", "progressing-new-generation.yaml"), status.InProgressStatus, "LatestGenerationNotObserved"},
	{argoTestdata("WorkspaceRepository", "progressing-waiting.yaml"), status.InProgressStatus, "WaitingForConnection"},
	{argoTestdata("WorkspaceRepository", "degraded-stalled.yaml"), status.FailedStatus, "ConnectionNotFound"},
	{argoTestdata("WorkspaceRepository", "suspended.yaml"), status.CurrentStatus, ""},
	{kstatusTestdata("WorkspaceRepository", "terminating.yaml"), status.TerminatingStatus, ""},
}

func TestKstatus(t *testing.T) {
	for _, c := range kstatusCases {
		t.Run(c.path, func(t *testing.T) {
			object, err := LoadObject(c.path)
			if err != nil {
				t.Fatal(err)
			}
			result, err := status.Compute(object)
			if err != nil {
				t.Fatal(err)
			}
			if result.Status != c.status {
				t.Errorf("kstatus %s (%s), want %s", result.Status, result.Message, c.status)
			}
			if got := kstatusReason(result); got != c.reason {
				t.Errorf("kstatus reason %q (%s), want %q", got, result.Message, c.reason)
			}
		})
	}
}

func kstatusReason(result *status.Result) string {
	if len(result.Conditions) == 0 {
		return ""
	}
	return result.Conditions[0].Reason
}

// Every object read from the API server has a kstatus verdict.
func TestEveryObjectHasAKstatusCase(t *testing.T) {
	argo, _ := filepath.Glob(argoTestdata("*", "*.yaml"))
	only, _ := filepath.Glob(kstatusTestdata("*", "*.yaml"))
	for _, path := range append(argo, only...) {
		if !slices.ContainsFunc(kstatusCases, func(c kstatusCase) bool { return c.path == path }) {
			t.Errorf("%s has no kstatus case", path)
		}
	}
}
