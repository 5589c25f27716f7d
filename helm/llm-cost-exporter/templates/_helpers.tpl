{{/*
Chart name, truncated to 63 characters (the DNS label limit).
*/}}
{{- define "llm-cost-exporter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: <release>-<chart>, or the release name when it already contains
the chart name. The Service, and so the ServiceMonitor's job label, carries
this name: it keeps "llm-cost-exporter" unless fullnameOverride removes it.
*/}}
{{- define "llm-cost-exporter.fullname" -}}
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

{{- define "llm-cost-exporter.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Selector labels: stable for the life of a release.
*/}}
{{- define "llm-cost-exporter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "llm-cost-exporter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "llm-cost-exporter.labels" -}}
helm.sh/chart: {{ include "llm-cost-exporter.chart" . }}
{{ include "llm-cost-exporter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: llm-cost-exporter
{{- end }}

{{- define "llm-cost-exporter.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/*
The config file's text: values config.content, or the shipped
config/llm_cost_exporter.yml (files/config.yml is a symlink to it).
*/}}
{{- define "llm-cost-exporter.configText" -}}
{{- if .Values.config.content }}
{{- .Values.config.content }}
{{- else }}
{{- .Files.Get "files/config.yml" }}
{{- end }}
{{- end }}

{{/*
The price tables as JSON, file name -> text: the shipped pricing/*.yaml and
*.yml (files/pricing is a symlink to the repository's pricing/) when
pricing.includeShipped, then pricing.extraTables over them. Used by the
pricing ConfigMap and by the Deployment's volume items (fromJson).
*/}}
{{- define "llm-cost-exporter.pricingTables" -}}
{{- $tables := dict }}
{{- if .Values.pricing.includeShipped }}
{{- range $path, $_ := .Files.Glob "files/pricing/*.yaml" }}
{{- $_ := set $tables (base $path) ($.Files.Get $path) }}
{{- end }}
{{- range $path, $_ := .Files.Glob "files/pricing/*.yml" }}
{{- $_ := set $tables (base $path) ($.Files.Get $path) }}
{{- end }}
{{- end }}
{{- range $name, $text := .Values.pricing.extraTables }}
{{- $_ := set $tables $name $text }}
{{- end }}
{{- toJson $tables }}
{{- end }}

{{- define "llm-cost-exporter.apiKeysSecretName" -}}
{{- if .Values.apiKeys.existingSecret }}
{{- .Values.apiKeys.existingSecret }}
{{- else }}
{{- printf "%s-api-keys" (include "llm-cost-exporter.fullname" .) }}
{{- end }}
{{- end }}

{{- define "llm-cost-exporter.apiKeysMounted" -}}
{{- if or .Values.apiKeys.existingSecret .Values.apiKeys.create }}true{{ end }}
{{- end }}

{{- define "llm-cost-exporter.claimName" -}}
{{- default (printf "%s-ledger" (include "llm-cost-exporter.fullname" .)) .Values.persistence.existingClaim }}
{{- end }}
