{{/* Every object of the release is named after it, as the generated RBAC is (rbac.yaml). */}}

{{- define "imanage-operator.selectorLabels" -}}
app.kubernetes.io/name: imanage-operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "imanage-operator.labels" -}}
{{ include "imanage-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{- define "imanage-operator.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}
{{- end }}

{{/* `imanage-operator run` and its flags, each from one value (watchNamespaces also makes the RBAC). */}}
{{- define "imanage-operator.args" -}}
- run
- {{ printf "--health-address=:%d" (int .Values.ports.health) | quote }}
- {{ printf "--callback-address=:%d" (int .Values.ports.callback) | quote }}
{{- with .Values.callbackUrl }}
- {{ printf "--callback-url=%s" . | quote }}
{{- end }}
{{- with .Values.watchNamespaces }}
- {{ printf "--namespaces=%s" (join "," .) | quote }}
{{- end }}
{{- with .Values.labelSelector }}
- {{ printf "--label-selector=%s" . | quote }}
{{- end }}
- {{ printf "--concurrency=%d" (int .Values.concurrency) | quote }}
- {{ printf "--max-reconciles-per-second=%v" .Values.maxReconcilesPerSecond | quote }}
- {{ printf "--resync-period=%s" .Values.resyncPeriod | quote }}
- {{ printf "--leader-elect=%t" .Values.leaderElection.enabled | quote }}
{{- if .Values.leaderElection.enabled }}
- {{ printf "--leader-election-namespace=%s" .Release.Namespace | quote }}
- {{ printf "--leader-election-id=%s" .Release.Name | quote }}
{{- end }}
- {{ printf "--shutdown-grace=%ds" (int .Values.shutdownGraceSeconds) | quote }}
- {{ printf "--log-level=%s" .Values.logLevel | quote }}
- {{ printf "--probes=%t" .Values.imanageProbes.enabled | quote }}
- {{ printf "--tokens=%t" .Values.tokens.enabled | quote }}
{{- with .Values.defaultClientSecret }}
- {{ printf "--default-client-secret=%s" . | quote }}
{{- end }}
{{- with .Values.imanageProbes.serviceCidrs }}
- {{ printf "--service-cidr=%s" (join "," .) | quote }}
{{- end }}
{{- with .Values.imanageProbes.allowCidrs }}
- {{ printf "--allow-probe-cidr=%s" (join "," .) | quote }}
{{- end }}
- {{ printf "--certificate-expiry-warning-days=%d" (int .Values.imanageProbes.certificateExpiryWarningDays) | quote }}
{{- range .Values.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end }}
