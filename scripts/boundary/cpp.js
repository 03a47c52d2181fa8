// The C++ side of the boundary: codes, argument structs, the readers that
// fill them from the shared buffer, and the declarations of the hand-written
// validation hooks.
'use strict';

const { buildModel, dtypeEnumerator, enumNameFn, upperFirst } = require('./model');

const lines = (...xs) =>
  xs
    .flat(Infinity)
    .filter((x) => x !== null && x !== undefined)
    .join('\n');
const comment = (doc) => (doc ? `  // ${doc}` : '');

function nameFunction(fn, type, enumerators, nameOf) {
  return lines(
    `inline const char* ${fn}(${type} v) {`,
    '  switch (v) {',
    enumerators.map((e) => `    case ${type}::${e.id}: return "${nameOf(e)}";`),
    '    default: return "?";',
    '  }',
    '}',
  );
}

function codesHeader(table, header) {
  const dtypes = table.dtypes.map((d) => ({ ...d, id: dtypeEnumerator(d.name) }));
  const devices = table.devices.map((d) => ({ name: d, id: d.toUpperCase() }));
  const enumBlocks = Object.entries(table.enums).map(([name, ops]) =>
    lines(
      `enum class ${name} : int32_t {`,
      ops.map((o, i) => `  ${o.name}${i === 0 ? ' = 0' : ''},${comment(o.doc)}`),
      '  Count',
      '};',
      `inline const char* ${enumNameFn(name)}(${name} op) {`,
      `  static const char* const names[] = {${ops.map((o) => `"${o.label}"`).join(', ')}};`,
      '  const int i = static_cast<int>(op);',
      `  return i >= 0 && i < static_cast<int>(${name}::Count) ? names[i] : "?";`,
      '}',
      '',
    ),
  );
  return lines(
    header,
    '// Codes shared by TypeScript (bindings/codes.gen.ts) and every backend.',
    '#pragma once',
    '#include <cstddef>',
    '#include <cstdint>',
    '',
    'namespace nt {',
    '',
    `enum class DType : int32_t { ${dtypes.map((d, i) => `${d.id} = ${i}`).join(', ')} };`,
    `constexpr int kNumDTypes = ${dtypes.length};`,
    'inline size_t dtypeSize(DType d) {',
    '  switch (d) {',
    dtypes.map((d) => `    case DType::${d.id}: return ${d.size};`),
    '  }',
    '  return 1;',
    '}',
    nameFunction('dtypeName', 'DType', dtypes, (d) => d.name),
    '',
    `enum class DeviceType : int32_t { ${devices.map((d, i) => `${d.id} = ${i}`).join(', ')} };`,
    `constexpr int kNumDevices = ${devices.length};`,
    nameFunction('deviceName', 'DeviceType', devices, (d) => d.name),
    '',
    'enum class ErrorKind : int {',
    table.errorKinds.map((e, i) => `  ${e.name} = ${i},${comment(e.doc)}`),
    '};',
    `constexpr int kNumErrorKinds = ${table.errorKinds.length};`,
    '',
    enumBlocks,
    '}  // namespace nt',
    '',
  );
}

function argsHeader(table, header) {
  const model = buildModel(table);
  const structs = model.structs.map((s) =>
    lines(
      `// ${s.doc}`,
      `struct ${s.name} {`,
      s.fields.map((f) => {
        const init = /^(double|bool|u?int\d+_t|int)$/.test(f.cpp)
          ? ' = 0'
          : /\*$/.test(f.cpp)
            ? ' = nullptr'
            : f.cpp === 'DType'
              ? ' = DType::Float32'
              : f.type === 'enum'
                ? ` = ${f.cpp}(0)`
                : '';
        return `  ${f.cpp} ${f.name}${init};`;
      }),
      '};',
      '',
    ),
  );
  return lines(
    header,
    '// One argument struct per kernel and NT_KERNEL_LIST (see kernel_api.h).',
    '#pragma once',
    '#include <cstdint>',
    '#include <vector>',
    '',
    '#include "codes.gen.h"',
    '#include "tensor_view.h"',
    '',
    'namespace nt {',
    '',
    structs,
    '#define NT_KERNEL_LIST(X) \\',
    model.kernels.map((k, i) => `  X(${k.name}, ${k.struct})${i + 1 < model.kernels.length ? ' \\' : ''}`),
    '',
    '}  // namespace nt',
    '',
  );
}

function hookParams(k) {
  return k.storages.map((s) => {
    if (s.list) return `const std::vector<StorageRecord*>& ${s.name}`;
    if (s.nullable) return `const StorageRecord* ${s.name}`;
    return `const StorageRecord& ${s.name}`;
  });
}

const hookName = (k) => `validate${upperFirst(k.name)}`;

function checksHeader(table, header) {
  const model = buildModel(table);
  return lines(
    header,
    '// The hand-written checks of native/addon/kernel_checks.cpp, called once a',
    "// kernel's arguments are read and before its backend runs.",
    '#pragma once',
    '#include <vector>',
    '',
    '#include "common/kernel_api.h"',
    '#include "storage.h"',
    '',
    'namespace nt {',
    'namespace addon {',
    '',
    model.kernels
      .filter((k) => k.validate)
      .map((k) => `void ${hookName(k)}(const char* op, const ${k.struct}& a, ${hookParams(k).join(', ')});`),
    '',
    '}  // namespace addon',
    '}  // namespace nt',
    '',
  );
}

function dtypeCheck(k, s, rec, what) {
  const rule = s.dtype;
  if (!rule) return null;
  if (rule === 'float') return `requireFloat(op, ${rec}, "${what}");`;
  if (rule === 'index') return `requireIndex(op, ${rec}, "${what}");`;
  if (rule === 'bool' || rule === 'int64')
    return `requireDtype(op, ${rec}, DType::${dtypeEnumerator(rule)}, "${what}");`;
  const other = k.storageMap.get(rule.slice(5));
  if (other.list) return null; // lists are checked as a group
  const otherRec = other.nullable ? `*${other.name}` : other.name;
  const cond = other.nullable ? `if (${other.name}) ` : '';
  return `${cond}requireSameDtype(op, ${otherRec}, ${rec});`;
}

function storageLines(k) {
  const out = [];
  const ref = k.storages.find((s) => !s.list && !s.nullable);
  k.storages.forEach((s, i) => {
    if (s.list) {
      out.push(
        `const std::vector<StorageRecord*> ${s.name} = storageList(info, ${i}, op, "${s.name}", ${Boolean(s.nullable)});`,
      );
    } else if (s.nullable) {
      out.push(`StorageRecord* ${s.name} = optionalStorage(info, ${i}, op);`);
      if (ref) out.push(`if (${s.name}) requireSameDevice(op, ${ref.name}, *${s.name});`);
    } else {
      out.push(`StorageRecord& ${s.name} = unwrapStorage(info, ${i}, op);`);
      if (ref && ref !== s) out.push(`requireSameDevice(op, ${ref.name}, ${s.name});`);
    }
  });
  const lists = k.storages.filter((s) => s.list);
  if (lists.length) {
    const first = lists[0];
    out.push(`requireLive(op, {${lists.map((s) => `&${s.name}`).join(', ')}});`);
    for (const s of lists) {
      out.push(`checkList(op, ${s.name}, ${first.name}, ${Boolean(s.nullable)}, "${s.name}");`);
      if (s.dtype === 'float')
        out.push(`for (const StorageRecord* rec : ${s.name}) requireFloat(op, *rec, "${s.name}");`);
    }
  }
  for (const s of k.storages) {
    if (s.list) continue;
    const check = dtypeCheck(k, s, s.nullable ? `*${s.name}` : s.name, s.name);
    if (check) out.push(s.nullable ? `if (${s.name}) ${check}` : check);
  }
  const device = ref
    ? `${ref.name}.device`
    : `${lists[0].name}.empty() ? DeviceType::CPU : ${lists[0].name}[0]->device`;
  return { out, device };
}

function numelExpr(k, names) {
  const parts = names.map((n) => {
    const f = k.fields.find((x) => x.name === n);
    return f.type === 'shape' ? `a.${n}.numel()` : `a.${n}`;
  });
  return parts.length === 1 ? parts[0] : `r.product({${parts.join(', ')}})`;
}

function fieldLine(k, f) {
  const s = f.storage ? k.storageMap.get(f.storage) : null;
  const set = (expr) => `a.${f.name} = ${expr};`;
  if (f.from === 'dtype') {
    if (s.list) return set(`${s.name}.empty() ? DType::Float32 : ${s.name}[0]->dtype`);
    if (s.nullable) return set(`${s.name} ? ${s.name}->dtype : DType::Float32`);
    return set(`${s.name}.dtype`);
  }
  const range = (x) => x.replace(/\bkMaxSize\b/g, 'ArgReader::kMaxSize');
  switch (f.type) {
    case 'real':
      return set('r.real()');
    case 'size':
      return set(f.ctype ? `static_cast<${f.ctype}>(r.size("${f.name}"))` : `r.size("${f.name}")`);
    case 'int': {
      const v = `r.integer(${range(f.range[0])}, ${range(f.range[1])}, "${f.name}")`;
      return set(f.ctype ? `static_cast<${f.ctype}>(${v})` : v);
    }
    case 'flag':
      return set(`r.flag("${f.name}")`);
    case 'enum':
      return set(`static_cast<${f.enum}>(r.integer(0, static_cast<int64_t>(${f.enum}::Count) - 1, "${f.name}"))`);
    case 'seed':
      return set('r.seed()');
    case 'shape':
      return set('r.shape()');
    case 'operand': {
      const shapeExpr = Array.isArray(f.shape)
        ? `r.concat(${f.shape.map((n) => `a.${n}`).join(', ')})`
        : `a.${f.shape}`;
      if (s.nullable) return set(`r.optionalOperand(${shapeExpr}, ${s.name}, "${f.name}")`);
      return set(`r.operand(${shapeExpr}, ${s.name}, "${f.name}")`);
    }
    case 'contiguous':
      return set(`r.contiguous(${s.name}, ${numelExpr(k, f.numel)}, "${f.name}")`);
    case 'block':
      if (s.nullable) return set(`r.optionalBlock(${s.name}, ${numelExpr(k, f.numel)}, "${f.name}")`);
      return set(`r.block(${s.name}, ${numelExpr(k, f.numel)}, "${f.name}")`);
    case 'matrix':
      return set(`r.matrix(${s.name}, a.${f.batch}, a.${f.stride}, ${f.rows}, ${f.cols}, a.${f.ld}, "${f.name}")`);
    case 'sizes':
      return set(`r.sizes(${f.count}.size(), "${f.name}")`);
    case 'blocks':
      return set(`r.blocks(${s.name}, a.${f.numel}, "${f.name}")`);
    default:
      throw new Error(`unknown field type ${f.type}`);
  }
}

// The storages a queued kernel keeps alive (execution.h).
function keepExpr(k) {
  const single = k.storages.filter((s) => !s.list).map((s) => (s.nullable ? s.name : `&${s.name}`));
  const lists = k.storages.filter((s) => s.list).map((s) => `&${s.name}`);
  return lists.length ? `keepOf({${single.join(', ')}}, {${lists.join(', ')}})` : `keepOf({${single.join(', ')}})`;
}

const bindingName = (k) => `${upperFirst(k.name)}Binding`;

function bindingsSource(table, header) {
  const model = buildModel(table);
  const fns = model.kernels.map((k) => {
    const { out: storage, device } = storageLines(k);
    const hook = k.validate ? `${hookName(k)}(op, a, ${k.storages.map((s) => s.name).join(', ')});` : null;
    return lines(
      `// ${k.doc}`,
      `Napi::Value ${bindingName(k)}(const Napi::CallbackInfo& info) {`,
      '  return guarded(info.Env(), [&] {',
      `    const char* op = "${k.label}";`,
      '    ArgReader r(state(info.Env()).args, kArgSlots, op);',
      storage.map((l) => `    ${l}`),
      `    ${k.struct} a;`,
      k.fields.map((f) => `    ${fieldLine(k, f)}`),
      hook ? `    ${hook}` : null,
      `    ${k.runIf ? `if (${k.runIf}) ` : ''}launch(info.Env(), ${device}, ${keepExpr(k)}, [a](Backend& b) { b.${k.name}(a); });`,
      '    return info.Env().Undefined();',
      '  });',
      '}',
      '',
    );
  });
  return lines(
    header,
    "// One N-API function per kernel: reads the kernel's arguments from the",
    '// shared buffer, checks what memory safety depends on (handles, dtypes,',
    '// devices, every reachable element inside its storage) and launches the',
    "// kernel on its device's queue (execution.h).",
    '#include <napi.h>',
    '',
    '#include <vector>',
    '',
    '#include "arg_reader.h"',
    '#include "execution.h"',
    '#include "kernel_bindings.h"',
    '#include "kernel_checks.gen.h"',
    '#include "storage.h"',
    '',
    'namespace nt {',
    'namespace addon {',
    'namespace {',
    '',
    fns,
    '}  // namespace',
    '',
    'void registerKernelBindings(Napi::Env env, Napi::Object kernels) {',
    model.kernels.map((k) => `  kernels.Set("${k.name}", Napi::Function::New(env, ${bindingName(k)}, "${k.name}"));`),
    '}',
    '',
    '}  // namespace addon',
    '}  // namespace nt',
    '',
  );
}

module.exports = { codesHeader, argsHeader, checksHeader, bindingsSource };
