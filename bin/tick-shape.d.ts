// Types for tick-shape.js, which is plain JavaScript because it runs before any TypeScript loader.
export const heldTickObject: object | null;
export function captureTickObject(): object | null;
