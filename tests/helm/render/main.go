// helm-render: renders a Helm 3 chart directory the way `helm template` does,
// for the chart tests, built offline from Debian's Go packages (golang-go,
// golang-github-masterminds-sprig-dev, golang-k8s-sigs-yaml-dev) because Helm
// itself is not packaged in Debian 12.
//
// What it reproduces of Helm's engine (helm.sh/helm/v3/pkg/engine):
//   - every file under templates/ is parsed into one template set, named
//     <chart>/templates/<file>, so include and $.Template.BasePath work;
//     files starting with "_" define helpers only and render nothing;
//   - the functions: Sprig's TxtFuncMap (less env/expandenv, as Helm) plus
//     Helm's include, tpl, required, toYaml, fromYaml, toJson, fromJson, lookup;
//   - .Values (values.yaml, then each -f file deep-merged over it, as Helm's
//     coalescing; null deletes a key), .Chart (Chart.yaml), .Release,
//     .Template, .Capabilities and .Files (Get, GetBytes, Glob, Lines) over
//     every non-template file of the chart, following symbolic links as Helm's
//     loader does (a dangling link is an error there and here);
//   - values are decoded through sigs.k8s.io/yaml (numbers become float64),
//     as Helm's chartutil.ReadValues.
//
// Stricter than `helm template`: a reference to a missing map key is an error
// (missingkey=error, as `helm lint --strict`), not an empty string.
// Not reproduced: subcharts, hooks, schema validation, install ordering.
//
// Usage: helm-render -chart DIR [-f values.yaml]... [-release NAME] [-namespace NS] [-notes FILE]
// Prints the manifests as `helm template` does ("---\n# Source: ...").
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"sigs.k8s.io/yaml"
)

// Files is the chart's non-template files, path (slash separated, relative
// to the chart root) -> content: Helm's .Files.
type Files map[string][]byte

func (f Files) Get(name string) string      { return string(f[name]) }
func (f Files) GetBytes(name string) []byte { return f[name] }

func (f Files) Glob(pattern string) Files {
	out := Files{}
	for name, data := range f {
		if ok, err := path.Match(pattern, name); err == nil && ok {
			out[name] = data
		}
	}
	return out
}

func (f Files) Lines(name string) []string {
	text := strings.TrimSuffix(string(f[name]), "\n")
	if text == "" {
		return nil
	}
	return strings.Split(text, "\n")
}

type apiVersions []string

func (a apiVersions) Has(v string) bool {
	for _, x := range a {
		if x == v {
			return true
		}
	}
	return false
}

// walk visits every regular file under dir, following symbolic links.
func walk(root, rel string, visit func(rel, full string) error) error {
	full := filepath.Join(root, rel)
	resolved, err := filepath.EvalSymlinks(full)
	if err != nil {
		return fmt.Errorf("error evaluating symlink %s: %w", full, err)
	}
	info, err := os.Stat(resolved)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		if !info.Mode().IsRegular() {
			return fmt.Errorf("cannot load irregular file %s", full)
		}
		return visit(rel, resolved)
	}
	entries, err := os.ReadDir(resolved)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := walk(root, path.Join(rel, e.Name()), visit); err != nil {
			return err
		}
	}
	return nil
}

func readYAML(file string) (map[string]interface{}, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	out := map[string]interface{}{}
	if err := yaml.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if out == nil {
		out = map[string]interface{}{}
	}
	return out, nil
}

// coalesce merges src over dst (src wins; a null in src deletes the key).
func coalesce(dst, src map[string]interface{}) {
	for k, v := range src {
		if v == nil {
			delete(dst, k)
			continue
		}
		sm, sIsMap := v.(map[string]interface{})
		dm, dIsMap := dst[k].(map[string]interface{})
		if sIsMap && dIsMap {
			coalesce(dm, sm)
		} else {
			dst[k] = v
		}
	}
}

func toYAML(v interface{}) string {
	data, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(data), "\n")
}

func fromYAML(s string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := yaml.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func toJSON(v interface{}) string {
	data, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(data)
}

func fromJSON(s string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func run() error {
	chartDir := flag.String("chart", "", "chart directory")
	release := flag.String("release", "llm-cost-exporter", "release name")
	namespace := flag.String("namespace", "monitoring", "release namespace")
	notesOut := flag.String("notes", "", "write the rendered NOTES.txt to this file")
	var valueFiles multiFlag
	flag.Var(&valueFiles, "f", "values file merged over values.yaml (repeatable)")
	flag.Parse()
	if *chartDir == "" {
		return errors.New("-chart is required")
	}

	meta, err := readYAML(filepath.Join(*chartDir, "Chart.yaml"))
	if err != nil {
		return err
	}
	chartName, _ := meta["name"].(string)
	if chartName == "" {
		return errors.New("Chart.yaml has no name")
	}
	values, err := readYAML(filepath.Join(*chartDir, "values.yaml"))
	if err != nil {
		return err
	}
	for _, f := range valueFiles {
		override, err := readYAML(f)
		if err != nil {
			return err
		}
		coalesce(values, override)
	}

	files := Files{}
	templates := map[string]string{}
	err = walk(*chartDir, ".", func(rel, full string) error {
		data, err := os.ReadFile(full)
		if err != nil {
			return err
		}
		rel = strings.TrimPrefix(rel, "./")
		switch {
		case strings.HasPrefix(rel, "templates/"):
			templates[chartName+"/"+rel] = string(data)
		case rel == "Chart.yaml" || rel == "values.yaml" || rel == "values.schema.json":
		default:
			files[rel] = data
		}
		return nil
	})
	if err != nil {
		return err
	}

	str := func(k string) string { s, _ := meta[k].(string); return s }
	top := map[string]interface{}{
		"Values": values,
		"Chart": map[string]interface{}{
			"Name": chartName, "Version": str("version"), "AppVersion": str("appVersion"),
			"Description": str("description"), "Type": str("type"), "KubeVersion": str("kubeVersion"),
			"APIVersion": str("apiVersion"),
		},
		"Release": map[string]interface{}{
			"Name": *release, "Namespace": *namespace, "Service": "Helm",
			"IsInstall": true, "IsUpgrade": false, "Revision": 1,
		},
		"Files": files,
		"Capabilities": map[string]interface{}{
			"KubeVersion": map[string]interface{}{"Version": "v1.30.0", "Major": "1", "Minor": "30"},
			"APIVersions": apiVersions{"v1", "apps/v1", "monitoring.coreos.com/v1"},
		},
	}

	root := template.New("gotpl").Option("missingkey=error")
	funcs := sprig.TxtFuncMap()
	delete(funcs, "env")
	delete(funcs, "expandenv")
	funcs["toYaml"] = toYAML
	funcs["fromYaml"] = fromYAML
	funcs["toJson"] = toJSON
	funcs["fromJson"] = fromJSON
	funcs["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil || v == "" {
			return nil, errors.New(msg)
		}
		return v, nil
	}
	funcs["lookup"] = func(string, string, string, string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil
	}
	funcs["include"] = func(name string, data interface{}) (string, error) {
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, name, data); err != nil {
			return "", err
		}
		return buf.String(), nil
	}
	funcs["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := root.Clone()
		if err != nil {
			return "", err
		}
		if _, err := t.New("tpl").Parse(text); err != nil {
			return "", err
		}
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, "tpl", data); err != nil {
			return "", err
		}
		return buf.String(), nil
	}
	root.Funcs(funcs)

	names := make([]string, 0, len(templates))
	for name := range templates {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if _, err := root.New(name).Parse(templates[name]); err != nil {
			return fmt.Errorf("parse error: %w", err)
		}
	}

	basePath := chartName + "/templates"
	render := func(name string) (string, error) {
		data := map[string]interface{}{}
		for k, v := range top {
			data[k] = v
		}
		data["Template"] = map[string]interface{}{"Name": name, "BasePath": basePath}
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, name, data); err != nil {
			return "", err
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}

	var out strings.Builder
	for _, name := range names {
		base := path.Base(name)
		if strings.HasPrefix(base, "_") || !strings.HasPrefix(name, basePath+"/") {
			continue
		}
		text, err := render(name)
		if err != nil {
			return err
		}
		if base == "NOTES.txt" {
			if *notesOut != "" {
				if err := os.WriteFile(*notesOut, []byte(text), 0o644); err != nil {
					return err
				}
			}
			continue
		}
		// Helm splits a template's output into documents at "---" lines.
		for _, doc := range strings.Split("\n"+text, "\n---") {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", name, strings.Trim(doc, "\n"))
		}
	}
	_, err = os.Stdout.WriteString(out.String())
	return err
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "helm-render: Error:", err)
		os.Exit(1)
	}
}
