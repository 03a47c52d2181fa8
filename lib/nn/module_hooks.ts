// Forward hooks of modules (registerForwardPreHook / registerForwardHook, as
// in PyTorch). A user calls `model.forward(x)` directly, so the first hook
// registered on a module gives that instance its own `forward`: it runs the
// pre-hooks, the class's forward and the hooks. A parent's forward calls its
// children's `forward`, so hooks on submodules fire too. Kept apart from
// module.ts (and typed on `object`) so that module.ts alone imports it.
import { type RemovableHandle, addHook } from '../autograd/hooks';

type Forward = (...args: unknown[]) => unknown;
type PreHook = (module: never, inputs: never) => unknown;
type PostHook = (module: never, inputs: never, output: never) => unknown;

interface HookLists {
  pre: PreHook[];
  post: PostHook[];
}

const lists = new WeakMap<object, HookLists>();

/** Runs the pre-hooks (a returned value replaces the inputs), forward, then the hooks (a returned value replaces the output). */
function callWithHooks(module: object, forward: Forward, args: unknown[], hooks: HookLists): unknown {
  let inputs = args;
  for (const hook of hooks.pre.slice()) {
    const r = (hook as (m: object, i: unknown[]) => unknown)(module, inputs);
    if (r !== undefined) inputs = Array.isArray(r) ? r : [r];
  }
  let output = forward.apply(module, inputs);
  for (const hook of hooks.post.slice()) {
    const r = (hook as (m: object, i: unknown[], o: unknown) => unknown)(module, inputs, output);
    if (r !== undefined) output = r;
  }
  return output;
}

function hookLists(module: object): HookLists {
  const known = lists.get(module);
  if (known) return known;
  const hooks: HookLists = { pre: [], post: [] };
  const forward = (module as { forward: Forward }).forward;
  // Not enumerable: parameter and child discovery walk Object.keys(module).
  Object.defineProperty(module, 'forward', {
    configurable: true,
    writable: true,
    enumerable: false,
    value: (...args: unknown[]) => callWithHooks(module, forward, args, hooks),
  });
  lists.set(module, hooks);
  return hooks;
}

export function addForwardPreHook(module: object, hook: PreHook): RemovableHandle {
  return addHook(hookLists(module).pre, hook);
}

export function addForwardHook(module: object, hook: PostHook): RemovableHandle {
  return addHook(hookLists(module).post, hook);
}
