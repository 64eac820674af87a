/**
 * Items per drain transaction. A batch costs the same statements whatever its size, so a bigger one costs fewer
 * round trips per item; a push holds up to PUSH_MAX_ITEMS (1,000) items in one transaction likewise.
 */
export const DRAIN_BATCH = 500;

/** Devices a drain round takes, those waiting longest first: one batch each. */
export const DRAIN_DEVICES_PER_ROUND = 10;
