// Writes an SPDX 2.3 JSON SBOM of what an artefact is made of: the Debian packages build.sh
// resolved (debian.lock's lines for one architecture), the Node binary, and the production npm
// packages package-lock.json locks. Its bytes depend on the arguments only (no clock, no random
// namespace), so the image keeps one digest per lock.
//
//   node tools/image/sbom.ts --name N --version V --arch amd64|arm64 --epoch SECONDS --node BINARY --node-version V
//                            --lock package-lock.json [--debian RESOLVED] --out FILE
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

interface Package {
  readonly name: string;
  readonly version: string;
  readonly purl: string;
  readonly checksum?: { readonly algorithm: 'SHA256' | 'SHA512'; readonly value: string };
}

interface LockEntry {
  readonly version?: string;
  readonly integrity?: string;
  readonly dev?: boolean;
  readonly devOptional?: boolean;
}

/** "name arch version sha256" lines of one architecture, as build.sh resolved them. */
export function debianPackages(resolved: string, arch: string): Package[] {
  return resolved.trim().split('\n').map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length === 4 && fields[1] === arch)
    .map(([name, , version, sha]) => ({
      name: name!, version: version!, checksum: { algorithm: 'SHA256' as const, value: sha! },
      purl: `pkg:deb/debian/${name}@${encodeURIComponent(version!)}?arch=${arch}&distro=debian-12`,
    }));
}

/** The packages `npm ci --omit=dev` installs, with the integrity npm checked them against. */
export function npmPackages(lock: { packages: Record<string, LockEntry> }): Package[] {
  return Object.entries(lock.packages)
    .filter(([path, entry]) => path.startsWith('node_modules/') && !entry.dev && !entry.devOptional)
    .map(([path, entry]) => {
      const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
      const sha512 = entry.integrity?.startsWith('sha512-')
        ? Buffer.from(entry.integrity.slice(7), 'base64').toString('hex') : undefined;
      return {
        name, version: entry.version ?? 'unknown', purl: `pkg:npm/${name.replace('@', '%40')}@${entry.version}`,
        ...(sha512 ? { checksum: { algorithm: 'SHA512' as const, value: sha512 } } : {}),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function spdxDocument(subject: { name: string; version: string; created: string }, packages: Package[]) {
  const id = (p: Package) => `SPDXRef-${p.purl.replace(/[^A-Za-z0-9.-]/g, '-')}`;
  const body = JSON.stringify(packages);
  const namespace = createHash('sha256').update(`${subject.name}@${subject.version}\n${body}`).digest('hex');
  return {
    spdxVersion: 'SPDX-2.3', dataLicense: 'CC0-1.0', SPDXID: 'SPDXRef-DOCUMENT',
    name: `${subject.name}-${subject.version}`,
    documentNamespace: `https://spdx.org/spdxdocs/${subject.name}-${subject.version}-${namespace}`,
    creationInfo: { created: subject.created, creators: ['Tool: imanage-operator tools/image/sbom.ts'] },
    documentDescribes: packages.map(id),
    packages: packages.map((p) => ({
      SPDXID: id(p), name: p.name, versionInfo: p.version, downloadLocation: 'NOASSERTION', filesAnalyzed: false,
      ...(p.checksum ? { checksums: [{ algorithm: p.checksum.algorithm, checksumValue: p.checksum.value }] } : {}),
      externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: p.purl }],
    })),
  };
}

async function main(): Promise<void> {
  const { values: o } = parseArgs({
    options: Object.fromEntries(['name', 'version', 'arch', 'epoch', 'node', 'node-version', 'lock', 'debian', 'out']
      .map((k) => [k, { type: 'string' as const }])),
  });
  for (const required of ['name', 'version', 'arch', 'epoch', 'node', 'node-version', 'lock', 'out'] as const) {
    if (!o[required]) throw new Error(`--${required} is required`);
  }
  const nodeVersion = o['node-version']!;
  const nodeSha = createHash('sha256').update(await readFile(o.node!)).digest('hex');
  const npmArch = o.arch === 'arm64' ? 'arm64' : 'x64';
  const packages = [
    ...(o.debian ? debianPackages(await readFile(o.debian, 'utf8'), o.arch!) : []),
    { name: `node-linux-${npmArch}`, version: nodeVersion, purl: `pkg:npm/node-linux-${npmArch}@${nodeVersion}`,
      checksum: { algorithm: 'SHA256' as const, value: nodeSha } },
    ...npmPackages(JSON.parse(await readFile(o.lock!, 'utf8'))),
  ];
  const created = new Date(Number(o.epoch) * 1000).toISOString().replace(/\.000Z$/, 'Z');
  const document = spdxDocument({ name: o.name!, version: o.version!, created }, packages);
  await writeFile(o.out!, `${JSON.stringify(document, null, 2)}\n`);
}

if (import.meta.main) await main();
