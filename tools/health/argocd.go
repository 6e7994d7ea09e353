// Package health runs the health checks that GitOps tools apply to the operator's objects: the
// Argo CD health.lua scripts, in the interpreter and with the libraries Argo CD gives them, and
// kstatus (sigs.k8s.io/cli-utils), which Flux and helm --wait use. Its tests read the testdata
// that test/health-objects.test.ts takes from a real API server.
package health

import (
	"context"
	"fmt"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// HealthStatus is what a health.lua returns, as Argo CD reads it.
type HealthStatus struct {
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
}

// Argo CD replaces a status outside this set by Unknown with this message.
var validStatuses = map[string]bool{
	"Unknown": true, "Progressing": true, "Suspended": true, "Healthy": true, "Degraded": true, "Missing": true,
}

const invalidHealthStatus = "Lua returned an invalid health status"

// The libraries Argo CD opens for a script from argocd-cm, in its order.
var argoLibraries = []struct {
	name string
	open lua.LGFunction
}{
	{lua.LoadLibName, lua.OpenPackage},
	{lua.BaseLibName, lua.OpenBase},
	{lua.TabLibName, lua.OpenTable},
}

// Argo CD gives a script one second.
const scriptTimeout = time.Second

// ScriptError says why a script could not produce a health status.
type ScriptError struct {
	Reason string
	Err    error
}

func (e *ScriptError) Error() string {
	if e.Err == nil {
		return "health.lua: " + e.Reason
	}
	return fmt.Sprintf("health.lua: %s: %v", e.Reason, e.Err)
}

func (e *ScriptError) Unwrap() error { return e.Err }

// RunHealthScript runs script as Argo CD runs a health check from argocd-cm: the libraries
// package, base and table only (no string, math or io: useOpenLibs is off by default; Argo CD's
// time-only os library is left out too, so a script that needs it fails here), the object as the
// global `obj`, a one-second limit, and the returned table read as {status, message}.
func RunHealthScript(script string, object map[string]any) (HealthStatus, error) {
	state := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer state.Close()
	for _, library := range argoLibraries {
		err := state.CallByParam(lua.P{Fn: state.NewFunction(library.open), Protect: true}, lua.LString(library.name))
		if err != nil {
			return HealthStatus{}, &ScriptError{Reason: "opening library " + library.name, Err: err}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	state.SetContext(ctx)
	state.SetGlobal("obj", toLua(state, object))
	if err := state.DoString(script); err != nil {
		return HealthStatus{}, &ScriptError{Reason: "running", Err: err}
	}
	return readHealth(state.Get(-1))
}

func readHealth(value lua.LValue) (HealthStatus, error) {
	table, ok := value.(*lua.LTable)
	if !ok {
		return HealthStatus{}, &ScriptError{Reason: "expected a table, got " + value.Type().String()}
	}
	status, message := table.RawGetString("status"), table.RawGetString("message")
	if status.Type() != lua.LTString || !validStatuses[status.String()] {
		return HealthStatus{Status: "Unknown", Message: invalidHealthStatus}, nil
	}
	if message.Type() == lua.LTNil {
		return HealthStatus{Status: status.String()}, nil
	}
	if message.Type() != lua.LTString {
		return HealthStatus{}, &ScriptError{Reason: "message is a " + message.Type().String() + ", not a string"}
	}
	return HealthStatus{Status: status.String(), Message: message.String()}, nil
}

// toLua converts an unstructured object as Argo CD does: numbers (int64 from the API server's
// JSON, float64) become Lua numbers, maps tables with string keys, slices arrays.
func toLua(state *lua.LState, value any) lua.LValue {
	switch v := value.(type) {
	case nil:
		return lua.LNil
	case bool:
		return lua.LBool(v)
	case string:
		return lua.LString(v)
	case int64:
		return lua.LNumber(v)
	case float64:
		return lua.LNumber(v)
	case []any:
		array := state.CreateTable(len(v), 0)
		for _, item := range v {
			array.Append(toLua(state, item))
		}
		return array
	case map[string]any:
		table := state.CreateTable(0, len(v))
		for key, item := range v {
			table.RawSetString(key, toLua(state, item))
		}
		return table
	}
	return lua.LNil
}
