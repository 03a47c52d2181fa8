// The handle every register*Hook returns (tensor and module hooks alike),
// as torch.utils.hooks.RemovableHandle.

/** Removes the hook it was returned for; `remove()` is idempotent. */
export class RemovableHandle {
  #remove: (() => void) | null;
  /** @internal Made by the register*Hook methods. */
  constructor(remove: () => void) {
    this.#remove = remove;
  }
  remove(): void {
    const r = this.#remove;
    this.#remove = null;
    r?.();
  }
}

/** @internal Appends `item` to `list` and returns the handle that takes it out again. */
export function addHook<T>(list: T[], item: T): RemovableHandle {
  list.push(item);
  return new RemovableHandle(() => {
    const i = list.lastIndexOf(item);
    if (i >= 0) list.splice(i, 1);
  });
}
