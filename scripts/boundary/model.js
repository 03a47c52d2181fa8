// Checks native/op_table.js and derives what both generators need: struct
// names, C++ field types, which fields live in the argument buffer.
'use strict';

const BUFFER_TYPES = new Set([
  'real',
  'size',
  'int',
  'flag',
  'enum',
  'seed',
  'shape',
  'operand',
  'contiguous',
  'block',
  'matrix',
  'sizes',
  'blocks',
]);

// Names the generated code uses for its own locals.
const RESERVED_TS = new Set(['argBuffer', 'nativeKernels', 'i', 'd']); // writer locals
const RESERVED_CPP = new Set(['a', 'r', 'op', 'info', 'rec']); // reader locals

const upperFirst = (s) => s[0].toUpperCase() + s.slice(1);

/** C++ enumerator of a dtype or device name: float32 -> Float32, uint8 -> UInt8, cpu -> CPU. */
function dtypeEnumerator(name) {
  if (name === 'uint8') return 'UInt8';
  return upperFirst(name);
}

/** unaryName, binaryName, reduceName, randomKindName: the C++ name function of an enum. */
function enumNameFn(enumName) {
  const base = enumName.endsWith('Op') ? enumName.slice(0, -2) : enumName;
  return `${base[0].toLowerCase()}${base.slice(1)}Name`;
}

function fail(kernel, msg) {
  throw new Error(`native/op_table.js: kernel ${kernel.name}: ${msg}`);
}

function cppType(kernel, f) {
  if (f.from === 'dtype') return 'DType';
  switch (f.type) {
    case 'real':
      return 'double';
    case 'size':
    case 'int':
      return f.ctype || 'int64_t';
    case 'flag':
      return 'bool';
    case 'enum':
      return f.enum;
    case 'seed':
      return 'uint64_t';
    case 'shape':
      return 'Shape';
    case 'operand':
    case 'contiguous':
      return 'Operand';
    case 'block':
    case 'matrix':
      return f.const ? 'const void*' : 'void*';
    case 'sizes':
      return 'std::vector<int64_t>';
    case 'blocks':
      return 'std::vector<void*>';
    default:
      return fail(kernel, `field ${f.name}: unknown type ${f.type}`);
  }
}

/** The table with each kernel's struct name, storages by name and checked fields. */
function buildModel(table) {
  const structs = new Map();
  const kernels = table.kernels.map((k) => {
    const storages = new Map(k.storages.map((s) => [s.name, s]));
    const fields = k.args.map((f) => {
      if (!f.from && !BUFFER_TYPES.has(f.type)) fail(k, `field ${f.name}: unknown type ${f.type}`);
      if (f.from && f.from !== 'dtype') fail(k, `field ${f.name}: unknown source ${f.from}`);
      if (f.storage && !storages.has(f.storage)) fail(k, `field ${f.name}: no storage ${f.storage}`);
      if (f.type === 'enum' && !table.enums[f.enum]) fail(k, `field ${f.name}: no enum ${f.enum}`);
      return { ...f, cpp: cppType(k, f), inBuffer: !f.from };
    });
    for (const n of fields.map((f) => f.name)) if (RESERVED_TS.has(n)) fail(k, `field name ${n} is reserved`);
    for (const s of k.storages) {
      if (RESERVED_TS.has(s.name) || RESERVED_CPP.has(s.name)) fail(k, `storage name ${s.name} is reserved`);
    }
    const byName = new Map(fields.map((f) => [f.name, f]));
    for (const f of fields) {
      for (const n of [].concat(f.numel || [], f.shape || [], f.ld || [], f.stride || [], f.count ? [] : [])) {
        if (!byName.has(n)) fail(k, `field ${f.name} refers to unknown field ${n}`);
        if (fields.indexOf(byName.get(n)) > fields.indexOf(f)) fail(k, `field ${f.name} refers to ${n}, read after it`);
      }
    }
    for (const s of k.storages) {
      if (s.dtype?.startsWith('same:') && !storages.has(s.dtype.slice(5))) fail(k, `storage ${s.name}: bad ${s.dtype}`);
    }
    const struct = k.struct || `${upperFirst(k.name)}Args`;
    const signature = fields.map((f) => `${f.cpp} ${f.name}`).join('; ');
    if (structs.has(struct) && structs.get(struct).signature !== signature) {
      fail(k, `struct ${struct} is declared twice with different fields`);
    }
    if (!structs.has(struct)) structs.set(struct, { name: struct, fields, doc: k.doc, signature });
    return { ...k, label: k.label || k.name, struct, fields, storageMap: storages };
  });
  return { ...table, kernels, structs: [...structs.values()] };
}

module.exports = { buildModel, dtypeEnumerator, enumNameFn, upperFirst };
