import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { configSchema } from '../src/config';

/**
 * deploy/k8s is never applied here (no cluster), so it is read: every document parsed and checked
 * for what makes a deployment fail at 3 a.m. — selectors that match nothing, probes on ports the
 * container does not open, variables the engine does not read, secrets nobody created, no limits.
 * When kubectl is installed, kustomize also renders the base and every overlay.
 */

type Rec = Record<string, any>;
const root = path.join(__dirname, '..');
const k8sDir = path.join(root, 'deploy', 'k8s');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return yamlFiles(full);
    return /\.ya?ml$/.test(name) ? [full] : [];
  });
}

function docsOf(file: string): Rec[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((d) => {
    assert.deepEqual(d.errors, [], `${path.relative(root, file)}: ${d.errors.join('; ')}`);
    return d.toJS() as Rec;
  });
}

const files = yamlFiles(k8sDir);
const rel = (f: string) => path.relative(k8sDir, f);
const kustomizations = files.filter((f) => path.basename(f) === 'kustomization.yaml');
/** Every Kubernetes object, with the file it is in (JSON6902 patch files are lists, not objects). */
const parsed = files
  .filter((f) => !kustomizations.includes(f))
  .flatMap((f) => docsOf(f).map((doc) => ({ file: rel(f), doc })));
const objects = parsed.filter(({ doc }) => !Array.isArray(doc) && doc !== null);
/** What the overlays' JSON patches add (envFrom entries, volumes, mounts). */
const patchValues = parsed
  .filter(({ doc }) => Array.isArray(doc))
  .flatMap(({ doc }) => (doc as unknown as Rec[]).map((op) => op.value as Rec));
const patchFiles = new Set(
  kustomizations.flatMap((k) =>
    ((docsOf(k)[0]!.patches ?? []) as Rec[]).map((p) => path.relative(k8sDir, path.join(path.dirname(k), p.path))),
  ),
);
/** Whole objects (not strategic-merge patches, which are partial on purpose). */
const resources = objects.filter(({ file }) => !patchFiles.has(file));
const base = resources.filter(({ file }) => file.startsWith('base/'));
const ofKind = (kind: string, list = resources) => list.filter(({ doc }) => doc.kind === kind).map(({ doc }) => doc);
const deployment = (component: string) => {
  const d = ofKind('Deployment', base).find((x) => x.metadata.name === `xero-sync-${component}`);
  assert.ok(d, `Deployment xero-sync-${component} missing`);
  return d;
};
const job = () => {
  const jobs = ofKind('Job', base);
  assert.equal(jobs.length, 1, 'one migration Job');
  return jobs[0]!;
};
const podSpecs = () => [
  ...ofKind('Deployment', base).map((d) => ({ name: d.metadata.name as string, spec: d.spec.template.spec as Rec })),
  { name: 'migrate job', spec: job().spec.template.spec as Rec },
];

const API_VERSIONS: Record<string, string> = {
  Namespace: 'v1',
  ConfigMap: 'v1',
  Secret: 'v1',
  Service: 'v1',
  Deployment: 'apps/v1',
  Job: 'batch/v1',
  PodDisruptionBudget: 'policy/v1',
  Kustomization: 'kustomize.config.k8s.io/v1beta1',
};

/**
 * Names read outside src/config.ts's schema: Temporal's environment configuration (TEMPORAL_TLS_*,
 * TEMPORAL_API_KEY: the names Temporal's CLI and SDKs read, taken from the pinned SDK's envconfig
 * package itself, also in the schema since src/temporal/connection-options.ts) and the temp
 * directory node and tsx use.
 */
function temporalEnvConfigNames(): string[] {
  try {
    const dir = path.dirname(require.resolve('@temporalio/envconfig'));
    return [
      ...new Set(
        readdirSync(dir)
          .filter((f) => f.endsWith('.js'))
          .flatMap((f) => readFileSync(path.join(dir, f), 'utf8').match(/TEMPORAL_[A-Z_]+[A-Z]/g) ?? []),
      ),
    ];
  } catch {
    return []; // not installed: only the schema's names count
  }
}
const known = new Set([...Object.keys(configSchema.shape), ...temporalEnvConfigNames(), 'TMPDIR']);

/** CPU in millicores, memory in bytes. */
function quantity(v: string | number): number {
  const s = String(v);
  const m = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|k|M|G)?$/.exec(s);
  assert.ok(m, `not a quantity: ${s}`);
  const n = Number(m[1]);
  const unit = m[2];
  const factor: Record<string, number> = { m: 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, k: 1e3, M: 1e6, G: 1e9 };
  return unit ? n * factor[unit]! : n;
}
const cpu = (v: string | number) => (String(v).endsWith('m') ? quantity(v) : quantity(v) * 1000);

const matches = (selector: Rec, labels: Rec) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);

describe('Kubernetes manifests (deploy/k8s)', () => {
  test('every file parses; every object has its kind’s apiVersion and a name', () => {
    assert.ok(existsSync(path.join(k8sDir, 'kustomization.yaml')), 'deploy/k8s/kustomization.yaml');
    for (const { file, doc } of [...objects, ...kustomizations.map((f) => ({ file: rel(f), doc: docsOf(f)[0]! }))]) {
      assert.ok(API_VERSIONS[doc.kind], `${file}: unexpected kind ${doc.kind}`);
      assert.equal(doc.apiVersion, API_VERSIONS[doc.kind], `${file}: ${doc.kind} apiVersion`);
      if (doc.kind !== 'Kustomization') assert.ok(doc.metadata?.name, `${file}: ${doc.kind} without a name`);
    }
    const kinds = ofKind('Deployment', base).map((d) => d.metadata.name as string);
    assert.deepEqual(kinds.sort(), ['xero-sync-web', 'xero-sync-worker']);
    assert.ok(ofKind('Service', base).some((s) => s.metadata.name === 'xero-sync-web'));
  });

  test('every kustomization lists files that exist, and no manifest is left out of one', () => {
    const listed = new Set<string>();
    for (const k of kustomizations) {
      const doc = docsOf(k)[0]!;
      const dir = path.dirname(k);
      for (const r of [...((doc.resources ?? []) as string[]), ...((doc.patches ?? []) as Rec[]).map((p) => p.path)]) {
        const target = path.join(dir, r);
        assert.ok(existsSync(target), `${rel(k)}: ${r} does not exist`);
        if (statSync(target).isFile()) listed.add(rel(target));
      }
    }
    for (const f of files.filter((x) => !kustomizations.includes(x)))
      assert.ok(listed.has(rel(f)), `${rel(f)} is in no kustomization`);
  });

  test('selectors match their pod template labels; the Service and PDBs select a Deployment', () => {
    const deployments = ofKind('Deployment');
    for (const d of deployments) {
      assert.ok(
        matches(d.spec.selector.matchLabels, d.spec.template.metadata.labels),
        `${d.metadata.name}: selector does not match the template`,
      );
    }
    for (const s of ofKind('Service')) {
      const target = deployments.find((d) => matches(s.spec.selector, d.spec.template.metadata.labels));
      assert.ok(target, `Service ${s.metadata.name} selects no Deployment`);
      const ports = (target.spec.template.spec.containers as Rec[]).flatMap((c) => (c.ports ?? []) as Rec[]);
      for (const p of s.spec.ports as Rec[])
        assert.ok(
          ports.some((cp) => cp.name === p.targetPort || cp.containerPort === p.targetPort),
          `Service ${s.metadata.name}: targetPort ${p.targetPort} is not a container port`,
        );
    }
    for (const pdb of ofKind('PodDisruptionBudget'))
      assert.ok(
        deployments.some((d) => matches(pdb.spec.selector.matchLabels, d.spec.template.metadata.labels)),
        `PDB ${pdb.metadata.name} selects nothing`,
      );
    // Two workers with the same labels as the web pods would receive its traffic.
    assert.ok(
      !matches(ofKind('Service')[0]!.spec.selector, deployment('worker').spec.template.metadata.labels),
      'the web Service must not select workers',
    );
  });

  test('three workers; web and worker probes on the ports they open (web /livez /readyz, worker on 9464)', () => {
    assert.equal(deployment('worker').spec.replicas, 3);
    const expect: Record<string, { port: number }> = { web: { port: 3000 }, worker: { port: 9464 } };
    for (const [component, { port }] of Object.entries(expect)) {
      const c = (deployment(component).spec.template.spec.containers as Rec[])[0]!;
      const ports = (c.ports ?? []) as Rec[];
      const resolve = (p: string | number) =>
        typeof p === 'number' ? p : (ports.find((x) => x.name === p)?.containerPort as number | undefined);
      for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
        const get = c[probe]?.httpGet as Rec | undefined;
        assert.ok(get, `${component}: ${probe} missing`);
        assert.equal(resolve(get.port), port, `${component}: ${probe} on port ${get.port}`);
        assert.equal(get.path, probe === 'readinessProbe' ? '/readyz' : '/livez', `${component}: ${probe} path`);
      }
      const env = Object.fromEntries(((c.env ?? []) as Rec[]).map((e) => [e.name, e.value]));
      if (component === 'worker') {
        assert.equal(env.WORKER_OPS_PORT, String(port));
        // Its default is loopback, which the kubelet's probes and Prometheus cannot reach.
        assert.equal(env.WORKER_OPS_HOST, '0.0.0.0', 'the ops server must listen beyond loopback');
      } else {
        assert.equal(env.PORT, String(port));
        assert.equal(env.HOST, '0.0.0.0', 'the web server must listen beyond loopback for probes and the Service');
      }
    }
  });

  test('every container has CPU and memory requests within limits', () => {
    for (const { name, spec } of podSpecs()) {
      for (const c of spec.containers as Rec[]) {
        const r = c.resources as Rec | undefined;
        for (const k of ['cpu', 'memory']) {
          assert.ok(r?.requests?.[k] !== undefined, `${name}/${c.name}: requests.${k}`);
          assert.ok(r?.limits?.[k] !== undefined, `${name}/${c.name}: limits.${k}`);
        }
        assert.ok(cpu(r!.requests.cpu) <= cpu(r!.limits.cpu), `${name}: cpu request above limit`);
        assert.ok(quantity(r!.requests.memory) <= quantity(r!.limits.memory), `${name}: memory request above limit`);
      }
    }
    // A worker caches workflows (~1 MB each) beside the bundle and the SDK's native runtime.
    const worker = deployment('worker').spec.template.spec.containers[0].resources;
    assert.ok(quantity(worker.limits.memory) >= 512 * 1024 ** 2, 'worker memory limit below 512Mi');
  });

  test('non-root, read-only root filesystem, no privilege escalation; a writable /tmp', () => {
    for (const { name, spec } of podSpecs()) {
      assert.equal(spec.securityContext?.runAsNonRoot, true, `${name}: runAsNonRoot`);
      assert.ok(spec.securityContext?.runAsUser > 0, `${name}: runAsUser`);
      assert.equal(spec.automountServiceAccountToken, false, `${name}: needs no Kubernetes API token`);
      for (const c of spec.containers as Rec[]) {
        assert.equal(c.securityContext?.readOnlyRootFilesystem, true, `${name}: readOnlyRootFilesystem`);
        assert.equal(c.securityContext?.allowPrivilegeEscalation, false, `${name}: allowPrivilegeEscalation`);
        assert.deepEqual(c.securityContext?.capabilities?.drop, ['ALL'], `${name}: capabilities`);
        // tsx writes its compile cache under the temp directory.
        const tmp = ((c.volumeMounts ?? []) as Rec[]).find((m) => m.mountPath === '/tmp');
        assert.ok(tmp, `${name}: /tmp not mounted`);
        assert.ok(
          (spec.volumes as Rec[]).some((v) => v.name === tmp.name && v.emptyDir),
          `${name}: /tmp is not an emptyDir`,
        );
      }
    }
  });

  test('termination grace covers the ordered shutdown (10 s per step, every step of src/bin/worker.ts and web.ts)', () => {
    // src/process/startup.ts bounds each step (SHUTDOWN_STEP_TIMEOUT_MS); the steps are counted in the
    // entry points, so a step added there needs more grace here.
    const startup = readFileSync(path.join(root, 'src', 'process', 'startup.ts'), 'utf8');
    const stepMs = Number(/SHUTDOWN_STEP_TIMEOUT_MS = ([\d_]+)/.exec(startup)?.[1]?.replace(/_/g, ''));
    assert.ok(stepMs > 0, 'SHUTDOWN_STEP_TIMEOUT_MS not found');
    const steps = (bin: string) =>
      readFileSync(path.join(root, 'src', 'bin', bin), 'utf8').match(/\{\s*name: '[^']+',\s*run:/g)?.length ?? 0;
    for (const [component, bin] of [
      ['worker', 'worker.ts'],
      ['web', 'web.ts'],
    ] as const) {
      const n = steps(bin);
      assert.ok(n >= 3, `${bin}: shutdown steps not found`);
      const grace = deployment(component).spec.template.spec.terminationGracePeriodSeconds as number;
      assert.ok(grace * 1000 >= n * stepMs, `${component}: ${grace} s < ${n} steps × ${stepMs / 1000} s`);
    }
  });

  test('the commands are the npm scripts’ entry points; the Job runs the migrations', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const entry = (script: string) => /(src\/bin\/[\w-]+\.ts)/.exec(pkg.scripts[script] ?? '')?.[1];
    const commandOf = (spec: Rec) => [
      ...((spec.containers[0].command ?? []) as string[]),
      ...(spec.containers[0].args ?? []),
    ];
    assert.ok(commandOf(job().spec.template.spec).includes(entry('migrate')!), 'the Job runs npm run migrate’s file');
    assert.ok(commandOf(deployment('worker').spec.template.spec).includes(entry('worker')!));
    assert.ok(commandOf(deployment('web').spec.template.spec).includes(entry('web')!));
    for (const { spec } of podSpecs()) {
      const cmd = commandOf(spec);
      // node runs TypeScript only through tsx, which the image installs (a production dependency).
      if (cmd[0] === 'node') assert.deepEqual(cmd.slice(1, 3), ['--import', 'tsx']);
      for (const f of cmd.filter((a) => a.endsWith('.ts'))) assert.ok(existsSync(path.join(root, f)), `${f} missing`);
    }
    assert.ok(['OnFailure', 'Never'].includes(job().spec.template.spec.restartPolicy));
    assert.ok(job().spec.backoffLimit >= 1);
    const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    assert.match(dockerfile, /^USER node$/m, 'the image runs as the node user (uid 1000)');
  });

  test('every image is pinned: no latest, no untagged image without a kustomize tag', () => {
    const kBase = docsOf(path.join(k8sDir, 'base', 'kustomization.yaml'))[0]!;
    const pinned = new Map(((kBase.images ?? []) as Rec[]).map((i) => [i.name as string, i]));
    for (const { name, spec } of podSpecs()) {
      for (const c of spec.containers as Rec[]) {
        const image = c.image as string;
        const [repo, tag] = image.includes('@') ? [image.split('@')[0]!, 'digest'] : image.split(':');
        const effective = tag ?? pinned.get(repo!)?.newTag ?? (pinned.get(repo!)?.digest ? 'digest' : undefined);
        assert.ok(effective, `${name}: ${image} has no tag and no kustomize images entry`);
        assert.notEqual(effective, 'latest', `${name}: ${image} runs latest`);
      }
    }
  });

  test('every variable set is one the engine reads; every ConfigMap, Secret and key referenced exists', () => {
    const configMaps = ofKind('ConfigMap');
    const secrets = ofKind('Secret');
    for (const cm of configMaps) {
      for (const key of Object.keys(cm.data ?? {})) {
        assert.ok(known.has(key), `ConfigMap ${cm.metadata.name}: the engine does not read ${key}`);
        assert.doesNotMatch(key, /SECRET|_KEY$|PASSWORD|TOKEN|DATABASE_URL/, `${key} belongs in a Secret`);
      }
    }
    for (const s of secrets.filter((x) => x.type !== 'kubernetes.io/tls'))
      for (const key of Object.keys({ ...s.stringData, ...s.data }))
        assert.ok(known.has(key), `Secret ${s.metadata.name}: the engine does not read ${key}`);

    const patchedSpecs = patchValues;
    for (const { name, spec } of podSpecs()) {
      for (const c of spec.containers as Rec[]) {
        for (const e of (c.env ?? []) as Rec[])
          assert.ok(known.has(e.name), `${name}: the engine does not read ${e.name}`);
        for (const from of (c.envFrom ?? []) as Rec[]) {
          if (from.configMapRef) assert.ok(configMaps.some((m) => m.metadata.name === from.configMapRef.name));
          if (from.secretRef) assert.ok(secrets.some((m) => m.metadata.name === from.secretRef.name));
        }
      }
    }
    for (const v of patchedSpecs) {
      if (v?.secretRef)
        assert.ok(
          secrets.some((m) => m.metadata.name === v.secretRef.name),
          `${v.secretRef.name}`,
        );
      if (v?.secret)
        assert.ok(
          secrets.some((m) => m.metadata.name === v.secret.secretName),
          `${v.secret.secretName}`,
        );
    }

    // What the engine needs to start in production, in the Secret every pod reads.
    const main = secrets.find((s) => s.metadata.name === 'xero-sync-secrets');
    assert.ok(main);
    for (const key of [
      'DATABASE_URL',
      'TOKEN_ENCRYPTION_KEY',
      'SESSION_SECRET',
      'XERO_CLIENT_ID',
      'XERO_CLIENT_SECRET',
      'XERO_WEBHOOK_KEY',
      'METRICS_TOKEN',
    ])
      assert.ok(key in (main.stringData ?? main.data ?? {}), `xero-sync-secrets lacks ${key}`);
    for (const { name, spec } of podSpecs())
      assert.ok(
        (spec.containers[0].envFrom as Rec[]).some((f) => f.secretRef?.name === 'xero-sync-secrets'),
        `${name} does not read xero-sync-secrets`,
      );
  });

  test('the ConfigMaps’ values pass the engine’s own validation; Temporal is the Helm chart’s frontend or Cloud', () => {
    const byFile = (file: string) =>
      resources.find((r) => r.file === file)?.doc ?? objects.find((r) => r.file === file)?.doc;
    const baseData = byFile('base/configmap.yaml')!.data as Record<string, string>;
    const parsed = configSchema.safeParse(baseData);
    assert.ok(parsed.success, JSON.stringify(!parsed.success && parsed.error.issues));
    assert.equal(baseData.TEMPORAL_ADDRESS, 'temporal-frontend.temporal:7233');
    const cloud = byFile('overlays/temporal-cloud/temporal-cloud-config.yaml')!.data as Record<string, string>;
    assert.match(cloud.TEMPORAL_ADDRESS!, /^[\w-]+\.[\w-]+\.tmprl\.cloud:7233$/);
    assert.equal(cloud.TEMPORAL_NAMESPACE, cloud.TEMPORAL_ADDRESS!.replace(/\.tmprl\.cloud:7233$/, ''));
    assert.ok(configSchema.safeParse({ ...baseData, ...cloud }).success);
    const cloudSecret = ofKind('Secret').find((s) => s.metadata.name === 'xero-sync-temporal-cloud');
    assert.ok(cloudSecret && 'TEMPORAL_API_KEY' in cloudSecret.stringData);
    const tls = byFile('overlays/mtls/temporal-tls-config.yaml')!.data as Record<string, string>;
    const tlsSecret = ofKind('Secret').find((s) => s.metadata.name === 'xero-sync-temporal-tls')!;
    const mount = patchValues.find((v) => v.mountPath)!;
    for (const key of [
      'TEMPORAL_TLS_CLIENT_CERT_PATH',
      'TEMPORAL_TLS_CLIENT_KEY_PATH',
      'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
    ]) {
      const file = tls[key]!;
      assert.equal(path.dirname(file), mount.mountPath, `${key} is not in the mounted Secret`);
      assert.ok(path.basename(file) in tlsSecret.stringData, `${key}: the Secret has no ${path.basename(file)}`);
    }
  });

  const kubectl = (() => {
    try {
      execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  test('kustomize renders the base and every overlay', { skip: !kubectl && 'kubectl is not installed' }, () => {
    for (const dir of ['.', 'overlays/mtls', 'overlays/temporal-cloud']) {
      const out = execFileSync('kubectl', ['kustomize', path.join(k8sDir, dir)], { encoding: 'utf8' });
      const docs = parseAllDocuments(out).map((d) => d.toJS() as Rec);
      const deployments = docs.filter((d) => d.kind === 'Deployment');
      assert.equal(deployments.length, 2, dir);
      for (const d of docs) assert.equal(d.metadata.namespace ?? 'xero-sync', 'xero-sync', `${dir}: namespace`);
      for (const d of deployments) {
        const c = d.spec.template.spec.containers[0];
        assert.match(c.image, /^[^:]+:(?!latest$)[\w.-]+$/, `${dir}: image ${c.image}`);
        if (dir === 'overlays/temporal-cloud')
          assert.ok((c.envFrom as Rec[]).some((f) => f.secretRef?.name === 'xero-sync-temporal-cloud'));
        if (dir === 'overlays/mtls')
          assert.ok((c.volumeMounts as Rec[]).some((m) => m.mountPath === '/etc/temporal-tls' && m.readOnly));
      }
    }
  });
});
