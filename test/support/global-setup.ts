/** Filled in with the database template set-up. */
export default function setup(): void {}
