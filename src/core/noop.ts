/** Does nothing: the listener for promises whose rejection is reported elsewhere. */
export const noop = (): void => {};
