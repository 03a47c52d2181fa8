// The TypeScript side of the boundary: codes, the typed kernel functions of
// the addon with one argument writer each, and the public unary ops.
'use strict';

const { buildModel } = require('./model');

const lines = (...xs) =>
  xs
    .flat(Infinity)
    .filter((x) => x !== null && x !== undefined)
    .join('\n');
const doc = (text, indent = '') => (text ? `${indent}/** ${text} */` : null);

function codesTs(table, header) {
  const enums = Object.entries(table.enums).map(([name, ops]) =>
    lines(
      `export enum ${name} {`,
      ops.map((o, i) => lines(doc(o.doc, '  '), `  ${o.name} = ${i},`)),
      '}',
      '',
    ),
  );
  return lines(
    header,
    '// Codes shared with native/common/codes.gen.h.',
    '',
    `export const DTYPE_CODES = { ${table.dtypes.map((d, i) => `${d.name}: ${i}`).join(', ')} } as const;`,
    `export const DEVICE_CODES = { ${table.devices.map((d, i) => `${d}: ${i}`).join(', ')} } as const;`,
    '',
    '/** nt::ErrorKind names, in code order. */',
    `export const ERROR_KINDS = [${table.errorKinds.map((e) => `'${e.name}'`).join(', ')}] as const;`,
    'export type ErrorKindName = (typeof ERROR_KINDS)[number];',
    '',
    enums,
  );
}

function storageType(s) {
  const base = s.list ? 'readonly StorageHandle[]' : 'StorageHandle';
  return s.nullable ? `${base} | null` : base;
}

/** The writer's parameters after the storages, one or two per buffer field. */
function fieldParams(k, f) {
  switch (f.type) {
    case 'real':
    case 'size':
    case 'int':
      return [[f.name, 'number']];
    case 'flag':
      return [[f.name, 'boolean']];
    case 'enum':
      return [[f.name, f.enum]];
    case 'seed':
      return [[f.name, 'bigint']];
    case 'shape':
      return [[f.name, 'ArrayLike<number>']];
    case 'operand':
      return [
        [`${f.name}Offset`, 'number'],
        [`${f.name}Strides`, 'ArrayLike<number>'],
      ];
    case 'contiguous':
    case 'block':
    case 'matrix':
      return [[`${f.name}Offset`, 'number']];
    case 'sizes':
      return [[f.name, 'ArrayLike<number>']];
    case 'blocks':
      return [
        [`${f.name}Offsets`, k.storageMap.get(f.storage).nullable ? 'ArrayLike<number> | null' : 'ArrayLike<number>'],
      ];
    default:
      throw new Error(`unknown field type ${f.type}`);
  }
}

function writeField(k, f) {
  const loop = (n, v) => `for (let d = 0; d < ${n}; ++d) argBuffer[i++] = ${v}[d];`;
  switch (f.type) {
    case 'real':
    case 'size':
    case 'int':
    case 'enum':
      return `argBuffer[i++] = ${f.name};`;
    case 'flag':
      return `argBuffer[i++] = ${f.name} ? 1 : 0;`;
    case 'seed':
      return `argBuffer[i++] = Number(${f.name} & 0xffffffffn);\n      argBuffer[i++] = Number((${f.name} >> 32n) & 0xffffffffn);`;
    case 'shape':
      return `argBuffer[i++] = ${f.name}.length;\n      ${loop(`${f.name}.length`, f.name)}`;
    case 'operand': {
      const nd = []
        .concat(f.shape)
        .map((s) => `${s}.length`)
        .join(' + ');
      return `argBuffer[i++] = ${f.name}Offset;\n      ${loop(nd, `${f.name}Strides`)}`;
    }
    case 'contiguous':
    case 'block':
    case 'matrix':
      return `argBuffer[i++] = ${f.name}Offset;`;
    case 'sizes':
      return `${loop(`${f.count}.length`, f.name)}`;
    case 'blocks': {
      const s = k.storageMap.get(f.storage);
      const body = loop(`${s.name}.length`, `${f.name}Offsets`);
      return s.nullable ? `if (${f.name}Offsets && ${s.name}) ${body}` : body;
    }
    default:
      throw new Error(`unknown field type ${f.type}`);
  }
}

function kernelsTs(table, header) {
  const model = buildModel(table);
  const enumNames = Object.keys(table.enums).filter((e) =>
    model.kernels.some((k) => k.fields.some((f) => f.enum === e)),
  );
  const signature = (k) => k.storages.map((s) => `${s.name}: ${storageType(s)}`).join(', ');
  const writerParams = (k) => [
    ...k.storages.map((s) => [s.name, storageType(s)]),
    ...k.fields.filter((f) => f.inBuffer).flatMap((f) => fieldParams(k, f)),
  ];
  const writers = model.kernels.map((k) =>
    lines(
      doc(k.doc, '    '),
      `    ${k.name}(`,
      writerParams(k).map(([n, t]) => `      ${n}: ${t},`),
      '    ): void {',
      '      let i = 0;',
      k.fields.filter((f) => f.inBuffer).map((f) => `      ${writeField(k, f)}`),
      `      nativeKernels.${k.name}(${k.storages.map((s) => s.name).join(', ')});`,
      '    },',
    ),
  );
  return lines(
    header,
    '// The kernel functions of the addon and one argument writer per kernel: each',
    "// writer puts its call's numbers into the shared buffer in the order the",
    '// native reader (native/addon/kernel_bindings.gen.cpp) takes them, then calls',
    '// the kernel. Shapes, dtypes and devices are checked by the callers first.',
    `import type { ${enumNames.join(', ')} } from './codes.gen';`,
    '',
    'declare const storageBrand: unique symbol;',
    '/** Opaque, type-tagged handle to one native buffer (dtype, device, length). */',
    'export interface StorageHandle {',
    '  readonly [storageBrand]: true;',
    '}',
    '',
    '/** One N-API function per kernel of NT_KERNEL_LIST. */',
    'export interface NativeKernels {',
    model.kernels.map((k) => `  ${k.name}(${signature(k)}): void;`),
    '}',
    '',
    '/** Kernel names in NT_KERNEL_LIST order. */',
    `export const KERNEL_NAMES = [${model.kernels.map((k) => `'${k.name}'`).join(', ')}] as const satisfies readonly (keyof NativeKernels)[];`,
    '',
    'export type KernelWriters = ReturnType<typeof createKernelWriters>;',
    '',
    '/** The writers over one addon instance: its argument buffer and kernel functions. */',
    'export function createKernelWriters(argBuffer: Float64Array, nativeKernels: NativeKernels) {',
    '  return {',
    writers,
    '  };',
    '}',
    '',
  );
}

function unaryTs(table, header) {
  const ops = table.enums.UnaryOp.filter((o) => o.api);
  const savedNames = (api) => [...(api.saves === 'none' ? [] : [api.saves]), ...(api.params || []).map((p) => p.name)];
  const context = (api) => {
    const fields = savedNames(api).map((n) => `${n}: ${n === 'x' || n === 'out' ? 'Tensor' : 'number'}`);
    return fields.length ? `{ ${fields.join('; ')} }` : 'Empty';
  };
  const saved = (api) => (savedNames(api).length ? `{ ${savedNames(api).join(', ')} }` : '{}');
  const describe = (o) => `${o.api.doc}${o.api.float ? ' Integer inputs compute in float32.' : ''}`;
  // Parameters become p0, p1 of the unary kernel, in order.
  const params = (api) => api.params || [];
  const paramList = (api, withDefaults) =>
    params(api).map((p) => (withDefaults ? `${p.name} = ${p.default}` : `${p.name}?: number`));
  const fns = ops.map((o) =>
    lines(
      doc(describe(o)),
      `export function ${o.api.name}(${['x: Tensor', ...paramList(o.api, true)].join(', ')}): Tensor {`,
      params(o.api).map((p) => `  checkNumber('${o.api.name}', '${p.name}', ${p.name});`),
      `  const out = unaryKernel('${o.api.name}', UnaryOp.${o.name}, x, ${Boolean(o.api.float)}${params(o.api)
        .map((p) => `, ${p.name}`)
        .join('')});`,
      `  return record('${o.api.grad || o.api.name}', out, [x], () => (${saved(o.api)}));`,
      '}',
      '',
    ),
  );
  const contexts = ops.filter((o) => !o.api.grad).map((o) => `    ${o.api.name}: ${context(o.api)};`);
  return lines(
    header,
    '// The unary ops of native/op_table.js that declare `api`: the function',
    '// `nt.<op>(x)`, its autograd record, its saved context and the method `x.<op>()`.',
    "import { UnaryOp } from '../../bindings/codes.gen';",
    "import { Tensor, defineTensorMethods } from '../tensor/tensor';",
    ops.some((o) => params(o.api).length) ? "import { checkNumber } from '../validate';" : null,
    "import { unaryKernel } from './elementwise';",
    "import { record } from './record';",
    '',
    'type Empty = Record<string, never>;',
    '',
    fns,
    "declare module './op_contexts' {",
    '  interface OpContexts {',
    contexts,
    '  }',
    '}',
    '',
    "declare module '../tensor/tensor' {",
    '  interface Tensor {',
    ops.map((o) =>
      lines(doc(describe(o), '    '), `    ${o.api.name}(${paramList(o.api, false).join(', ')}): Tensor;`),
    ),
    '  }',
    '}',
    '',
    'defineTensorMethods({',
    ops.map((o) => {
      const names = params(o.api).map((p) => p.name);
      const sig = paramList(o.api, true).join(', ');
      return `  ${o.api.name}(${sig}): Tensor {\n    return ${o.api.name}(${['this', ...names].join(', ')});\n  },`;
    }),
    '});',
    '',
  );
}

module.exports = { codesTs, kernelsTs, unaryTs };
