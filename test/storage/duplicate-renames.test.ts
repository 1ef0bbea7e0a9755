import { describe, expect, it } from 'vitest';
import { duplicateRenames } from '../../src/storage/migrations/duplicate-renames.ts';

describe('duplicateRenames', () => {
  it('keeps the first of each name and suffixes later ones with the smallest free number', () => {
    const rows = [{ id: '1', name: 'ci' }, { id: '2', name: 'ci' }, { id: '3', name: 'ci (2)' }, { id: '4', name: 'ci' }, { id: '5', name: 'other' }];
    expect(duplicateRenames(rows)).toEqual([{ id: '2', name: 'ci (3)' }, { id: '4', name: 'ci (4)' }]);
  });

  it('compares names through the key and keeps each row\'s own spelling', () => {
    const rows = [{ id: '1', name: 'Ops' }, { id: '2', name: 'ops' }, { id: '3', name: 'OPS' }, { id: '4', name: 'OPS (2)' }];
    expect(duplicateRenames(rows, (n) => n.toLowerCase())).toEqual([{ id: '2', name: 'ops (3)' }, { id: '3', name: 'OPS (4)' }]);
  });

  it('renames nothing when every name is distinct', () => {
    expect(duplicateRenames([{ id: '1', name: 'a' }, { id: '2', name: 'b' }])).toEqual([]);
  });
});
