/** The `{name, id}` entity reference used throughout CloudAPI bodies. */
export interface EntityRef {
  name: string;
  id: string;
}
