// Validates every document in deploy/kubernetes/*.yaml against the
// Kubernetes API schemas (npm kubernetes-models), offline: kubectl's
// --dry-run needs a live API server. Exits 1 naming the file, document and
// schema errors of every broken object; prints one line per object.
//
// The models' validate() ignores properties the schema does not know, so a
// misspelled field (`livenesProbe`) would pass and be silently dropped by
// the API server. unknownFields() closes that gap: see there.
import { readFileSync, readdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { Service } from "kubernetes-models/v1/Service";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Secret } from "kubernetes-models/v1/Secret";
import { PodMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor";

const here = dirname(fileURLToPath(import.meta.url));
const dir = process.argv[2] ?? join(here, "..", "kubernetes");

// apiVersion/kind -> model class. An unknown kind is an error, so a typo in
// `kind:` cannot slip through unvalidated.
const models = {
  "apps/v1/Deployment": Deployment,
  "v1/Service": Service,
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "monitoring.coreos.com/v1/PodMonitor": PodMonitor,
};

// Property names of `obj` (recursively) that the model's schema does not
// define, as JSON pointers. The compiled schemas are code, not data, so the
// schema is asked: each property in turn is replaced by a value no typed
// schema accepts (a Symbol); a property the schema knows then fails
// validation at or below its own path, an unknown one is ignored. Map-like
// fields (labels, ConfigMap data) accept any key, so their keys count as
// known. A property whose schema accepts anything would be reported too;
// none of the objects validated here has one.
function unknownFields(Model, obj) {
  const escape = (k) => String(k).replace(/~/g, "~0").replace(/\//g, "~1");
  const errorsOf = (candidate) => {
    try {
      new Model(candidate).validate();
      return [];
    } catch (e) {
      // A validator that trips over the probe value has looked at it.
      return e.errors ?? [{ instancePath: null }];
    }
  };
  const unknown = [];
  const walk = (node, path) => {
    if (Array.isArray(node)) return node.forEach((v, i) => walk(v, [...path, i]));
    if (node === null || typeof node !== "object") return;
    for (const key of Object.keys(node)) {
      if (path.length === 0 && (key === "apiVersion" || key === "kind")) continue;
      const probe = structuredClone(obj);
      let parent = probe;
      for (const p of path) parent = parent[p];
      parent[key] = Symbol("probe");
      const pointer = "/" + [...path, key].map(escape).join("/");
      const known = errorsOf(probe).some(
        (e) => e.instancePath === null || e.instancePath === pointer ||
               e.instancePath.startsWith(pointer + "/"));
      if (!known) unknown.push(pointer);
      else walk(node[key], [...path, key]);
    }
  };
  walk(obj, []);
  return unknown;
}

const kustomizationFields = new Set([
  "apiVersion", "kind", "metadata", "resources", "components", "namespace", "namePrefix",
  "nameSuffix", "labels", "commonLabels", "commonAnnotations", "images", "replicas", "patches",
  "configMapGenerator", "secretGenerator", "generatorOptions", "buildMetadata",
]);

let failures = 0;
let count = 0;
const fail = (where, msg) => {
  console.error(`FAIL ${where}: ${msg}`);
  failures++;
};

for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
  const text = readFileSync(join(dir, file), "utf8");
  const docs = parseAllDocuments(text);
  docs.forEach((doc, i) => {
    const where = `${file} document ${i + 1}`;
    if (doc.errors.length) return fail(where, doc.errors.map((e) => e.message).join("; "));
    const obj = doc.toJS();
    if (obj === null || obj === undefined) return;
    if (file === "kustomization.yaml") {
      // Not an API object: known top-level fields only, and every listed
      // resource exists.
      const extra = Object.keys(obj).filter((k) => !kustomizationFields.has(k));
      if (extra.length) return fail(where, `Kustomization: unknown field(s) ${extra.join(", ")}`);
      for (const r of obj.resources ?? []) {
        try {
          readFileSync(join(dir, r));
        } catch {
          fail(where, `resources lists missing file ${r}`);
        }
      }
      count++;
      console.log(`ok   ${where}: Kustomization`);
      return;
    }
    const key = `${obj.apiVersion}/${obj.kind}`;
    const Model = models[key];
    if (!Model) return fail(where, `no schema for apiVersion/kind ${key}`);
    try {
      new Model(obj).validate();
    } catch (e) {
      const details = e.errors ? JSON.stringify(e.errors, null, 2) : "";
      return fail(where, `${key} ${obj.metadata?.name ?? "?"}: ${e.message}\n${details}`);
    }
    const unknown = unknownFields(Model, obj);
    if (unknown.length) {
      return fail(where, `${key} ${obj.metadata?.name ?? "?"}: unknown field(s) ${unknown.join(", ")}`);
    }
    count++;
    console.log(`ok   ${where}: ${key} ${obj.metadata?.name}`);
  });
}

if (failures) {
  console.error(`${failures} invalid document(s) in ${dir}`);
  process.exit(1);
}
if (count === 0) {
  console.error(`no manifests found in ${dir}`);
  process.exit(1);
}
console.log(`${count} manifest document(s) valid`);
