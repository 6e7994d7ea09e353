{{/*
Names and labels as `helm create` makes them, so the chart can be a subchart: every object is
named after `fullname` (the release's name, plus the chart's unless the release's name holds it,
or fullnameOverride), 63 characters at most as object names and label values must be.
*/}}

{{- define "imanage-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "imanage-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "imanage-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "imanage-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name: name the ServiceAccount to run as when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "imanage-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "imanage-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* On every object of the release, RBAC and CRDs included. */}}
{{- define "imanage-operator.labels" -}}
{{ include "imanage-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: imanage-operator
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "imanage-operator.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}
{{- end }}

{{/*
NODE_OPTIONS: the young-generation cap of the nodeProfile (throughput: the image's 4 MiB,
tools/image/build.sh; memory: 1 MiB, bench/node-profiles.ts) and V8's old-space ceiling
maxHeapMiB, or no ceiling when it is 0 or null.
*/}}
{{- define "imanage-operator.nodeOptions" -}}
--max-semi-space-size={{ if eq .Values.nodeProfile "memory" }}1{{ else }}4{{ end }}
{{- with .Values.maxHeapMiB }} --max-old-space-size={{ int . }}{{ end }}
{{- end }}

{{/*
The operator's instances: one without shards, else one per entry of `shards`, each with its own
Deployment, Lease and --label-selector. A YAML list of {suffix, labelSelector}; read it with
fromYamlArray.
*/}}
{{- define "imanage-operator.instances" -}}
{{- if .Values.shards }}
{{- range .Values.shards }}
- suffix: {{ printf "-%s" .name | quote }}
  shard: {{ .name | quote }}
  labelSelector: {{ .labelSelector | quote }}
{{- end }}
{{- else }}
- suffix: ""
  shard: ""
  labelSelector: {{ .Values.labelSelector | quote }}
{{- end }}
{{- end }}

{{/* `imanage-operator run` and its flags, each from one value (watchNamespaces also makes the RBAC). Needs .root and .instance. */}}
{{- define "imanage-operator.args" -}}
{{- $ := .root }}
{{- $v := .root.Values }}
- run
- {{ printf "--health-address=:%d" (int $v.ports.health) | quote }}
- {{ printf "--callback-address=:%d" (int $v.ports.callback) | quote }}
{{- with $v.callbackUrl }}
- {{ printf "--callback-url=%s" . | quote }}
{{- end }}
{{- with $v.watchNamespaces }}
- {{ printf "--namespaces=%s" (join "," .) | quote }}
{{- end }}
{{- with .instance.labelSelector }}
- {{ printf "--label-selector=%s" . | quote }}
{{- end }}
- {{ printf "--concurrency=%d" (int $v.concurrency) | quote }}
- {{ printf "--max-reconciles-per-second=%v" $v.maxReconcilesPerSecond | quote }}
- {{ printf "--resync-period=%s" $v.resyncPeriod | quote }}
- {{ printf "--resync-looks-per-second=%d" (int $v.resyncLooksPerSecond) | quote }}
- {{ printf "--leader-elect=%t" $v.leaderElection.enabled | quote }}
{{- if $v.leaderElection.enabled }}
- {{ printf "--leader-election-namespace=%s" $.Release.Namespace | quote }}
- {{ printf "--leader-election-id=%s%s" (include "imanage-operator.fullname" $) .instance.suffix | quote }}
{{- end }}
- {{ printf "--shutdown-grace=%ds" (int $v.shutdownGraceSeconds) | quote }}
- {{ printf "--log-level=%s" $v.logLevel | quote }}
- {{ printf "--probes=%t" $v.imanageProbes.enabled | quote }}
- {{ printf "--tokens=%t" $v.tokens.enabled | quote }}
- {{ printf "--require-token-encryption=%t" $v.tokens.requireEncryption | quote }}
{{- with $v.egressProxy.httpsProxy }}
- {{ printf "--https-proxy=%s" . | quote }}
{{- end }}
{{- with $v.egressProxy.noProxy }}
- {{ printf "--no-proxy=%s" (join "," .) | quote }}
{{- end }}
{{- with $v.defaultClientSecret }}
- {{ printf "--default-client-secret=%s" . | quote }}
{{- end }}
{{- with $v.imanageProbes.serviceCidrs }}
- {{ printf "--service-cidr=%s" (join "," .) | quote }}
{{- end }}
{{- with $v.imanageProbes.allowCidrs }}
- {{ printf "--allow-probe-cidr=%s" (join "," .) | quote }}
{{- end }}
- {{ printf "--certificate-expiry-warning-days=%d" (int $v.imanageProbes.certificateExpiryWarningDays) | quote }}
{{- range $v.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end }}

{{/* Refuses, with the value's name and the fix, a Prometheus Operator kind the cluster does not serve. */}}
{{- define "imanage-operator.requireApi" -}}
{{- $api := index . 0 }}{{- $value := index . 1 }}{{- $caps := index . 2 }}
{{- if not ($caps.APIVersions.Has $api) }}
{{- fail (printf "%s=true: this cluster does not serve %s; install the Prometheus Operator's CRDs first, or set %s=false" $value $api $value) }}
{{- end }}
{{- end }}
