// A JS-side owner of one native storage handle, shared by a tensor and its
// views. dispose() of the last tensor using it frees the buffer at once;
// otherwise the handle's GC finalizer frees it.
import type { StorageHandle } from '../../bindings/native';
import { native } from '../../bindings/loader';
import type { Device, DType } from './dtype';

export class Storage {
  refs = 0;
  constructor(
    readonly handle: StorageHandle,
    readonly device: Device,
    readonly dtype: DType,
    readonly numel: number,
  ) {}

  release(): void {
    if (--this.refs === 0) native.dispose(this.handle);
  }
}
