// Validates every document in deploy/kubernetes/*.yaml against the
// Kubernetes API schemas (npm kubernetes-models), offline: kubectl's
// --dry-run needs a live API server. Exits 1 naming the file, document and
// schema errors on the first broken object; prints one line per object.
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
      // Not an API object: check that every listed resource exists.
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
