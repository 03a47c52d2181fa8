// The one place lib reaches the addon. Every module that calls native code
// imports `native` from here, so whichever module a user imports first, the
// addon is loaded and given nodetorch's error classes before any kernel can
// throw. A binary that does not load becomes an AddonLoadError listing what
// was tried (bindings/loader.ts words it).
import { type AddonOrigin, loadAddon } from '../../bindings/loader';
import type { NativeAddon } from '../../bindings/native';
import { AddonLoadError, NATIVE_ERROR_CLASSES } from '../errors';

const loaded = loadAddon();
if (!loaded.ok) throw new AddonLoadError('', loaded.message);
loaded.addon.setErrorClasses(NATIVE_ERROR_CLASSES);

/** The loaded addon, its error classes set. */
export const native: NativeAddon = loaded.addon;
/** Where it was loaded from. */
export const addonOrigin: AddonOrigin = loaded.origin;
