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
The config file's text as the user gave it: values config.content, or the
shipped config/llm_cost_exporter.yml (files/config.yml is a symlink to it).
*/}}
{{- define "llm-cost-exporter.configSource" -}}
{{- if .Values.config.content }}
{{- .Values.config.content }}
{{- else }}
{{- .Files.Get "files/config.yml" }}
{{- end }}
{{- end }}

{{/*
The config file's text as mounted. With apiKeys off: the source, byte for
byte. With apiKeys on: the source, byte for byte, followed by an auth block
that points at the mounted keys document. The text is kept (comments and
all) rather than re-serialized from fromYaml, which would sort the keys,
drop the comments and retype scalars; the result is parsed again and must
equal the source's mapping plus auth.api_keys_file, so a source that cannot
take the block (a flow mapping, a document end marker) fails here, not in
the pod. A source with an auth section of its own is refused unless it
already names the mounted file.
*/}}
{{- define "llm-cost-exporter.configText" -}}
{{- $text := include "llm-cost-exporter.configSource" . }}
{{- $parsed := fromYaml $text }}
{{- if hasKey $parsed "Error" }}
{{- fail (printf "config: the config text (config.content, or files/config.yml) is not a YAML mapping: %s" (get $parsed "Error")) }}
{{- end }}
{{- $auth := get $parsed "auth" | default dict }}
{{- if not (kindIs "map" $auth) }}
{{- fail "config: auth in the config text must be a mapping" }}
{{- end }}
{{- if include "llm-cost-exporter.apiKeysMounted" . }}
{{- $path := include "llm-cost-exporter.apiKeysPath" . }}
{{- if hasKey $parsed "auth" }}
{{- if ne (toString (get $auth "api_keys_file")) $path }}
{{- fail (printf "config: apiKeys is enabled, so the chart sets auth.api_keys_file to %s; remove the auth section from config.content" $path) }}
{{- end }}
{{- $text }}
{{- else }}
{{- $merged := printf "%s%s\n# Added by the chart (apiKeys): the keys document mounted from Secret %s.\nauth:\n  api_keys_file: %s\n" $text (ternary "" "\n" (hasSuffix "\n" $text)) (include "llm-cost-exporter.apiKeysSecretName" .) ($path | quote) }}
{{- $check := fromYaml $merged }}
{{- if or (hasKey $check "Error") (ne (toJson (omit $check "auth")) (toJson $parsed)) (ne (toString (dig "auth" "api_keys_file" "" $check)) $path) }}
{{- fail "config: cannot append the auth section for apiKeys to config.content; write config.content as a block mapping (no {...} flow mapping at the top, no '...' document end)" }}
{{- end }}
{{- $merged }}
{{- end }}
{{- else }}
{{- if get $auth "api_keys_file" }}
{{- fail "config: config.content sets auth.api_keys_file but apiKeys is not enabled, so no keys file is mounted; enable apiKeys (create or existingSecret) and remove the auth section (the chart sets it)" }}
{{- end }}
{{- $text }}
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

{{/*
Where the keys document is mounted: the config volume's mount path plus the
projected item's path (deployment.yaml), absolute so that it does not depend
on where the config file sits.
*/}}
{{- define "llm-cost-exporter.apiKeysPath" -}}
{{- if not (regexMatch "^[-._a-zA-Z0-9]+$" .Values.apiKeys.key) }}
{{- fail (printf "apiKeys.key %q: a Secret key and file name (letters, digits, '.', '_', '-')" .Values.apiKeys.key) }}
{{- end }}
{{- printf "/etc/llm-cost-exporter/secrets/%s" .Values.apiKeys.key }}
{{- end }}

{{/*
The web config (--web.config.file) is rendered when basic auth users are
set or TLS is enabled.
*/}}
{{- define "llm-cost-exporter.webEnabled" -}}
{{- if or .Values.web.basicAuth.users .Values.web.tls.enabled }}true{{ end }}
{{- end }}

{{- define "llm-cost-exporter.webSecretName" -}}
{{- printf "%s-web-config" (include "llm-cost-exporter.fullname" .) }}
{{- end }}

{{- define "llm-cost-exporter.mutualTls" -}}
{{- if and .Values.web.tls.enabled (eq .Values.web.tls.clientAuthType "RequireAndVerifyClientCert") }}true{{ end }}
{{- end }}

{{/*
The web config's text. File paths are relative to the web config file
(the exporter resolves them against its directory): every file of it is
projected into /etc/llm-cost-exporter/web/ (deployment.yaml).
*/}}
{{- define "llm-cost-exporter.webConfigText" -}}
{{- $web := dict }}
{{- if .Values.web.tls.enabled }}
{{- if not .Values.web.tls.existingSecret }}
{{- fail "web.tls.enabled: set web.tls.existingSecret to a kubernetes.io/tls Secret (tls.crt, tls.key)" }}
{{- end }}
{{- if not (has .Values.web.tls.clientAuthType (list "NoClientCert" "RequireAndVerifyClientCert")) }}
{{- fail (printf "web.tls.clientAuthType %q: NoClientCert or RequireAndVerifyClientCert" .Values.web.tls.clientAuthType) }}
{{- end }}
{{- if not (has .Values.web.tls.minVersion (list "TLS10" "TLS11" "TLS12" "TLS13")) }}
{{- fail (printf "web.tls.minVersion %q: TLS10, TLS11, TLS12 or TLS13" .Values.web.tls.minVersion) }}
{{- end }}
{{- $tls := dict "cert_file" "tls.crt" "key_file" "tls.key" "min_version" .Values.web.tls.minVersion "client_auth_type" .Values.web.tls.clientAuthType }}
{{- if .Values.web.tls.clientCA.existingSecret }}
{{- $_ := set $tls "client_ca_file" "client-ca.crt" }}
{{- else if include "llm-cost-exporter.mutualTls" . }}
{{- fail "web.tls.clientAuthType RequireAndVerifyClientCert: set web.tls.clientCA.existingSecret (the CA that signs client certificates)" }}
{{- end }}
{{- $_ := set $web "tls_server_config" $tls }}
{{- end }}
{{- with .Values.web.basicAuth.users }}
{{- $_ := set $web "basic_auth_users" . }}
{{- end }}
{{- toYaml $web }}
{{- end }}

{{/*
The container port's name: https with TLS (service meshes and Prometheus
read the protocol from it), http otherwise.
*/}}
{{- define "llm-cost-exporter.portName" -}}
{{- if .Values.web.tls.enabled }}https{{ else }}http{{ end }}
{{- end }}

{{- define "llm-cost-exporter.claimName" -}}
{{- default (printf "%s-ledger" (include "llm-cost-exporter.fullname" .)) .Values.persistence.existingClaim }}
{{- end }}
