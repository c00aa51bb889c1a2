/**
 * Schemas shared by the resource routes: opaque ids, pagination, principals, roles. Every object
 * is strict and every field typed, so `{"$ne": null}` anywhere is a 400.
 */
import { z } from 'zod';

/** An opaque id as the stores make them (UUIDs, ObjectId hex): bounded, no path or operator characters. */
export const ID = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/u, 'must be an id');

export const listQuery = z.strictObject({
  limit: z
    .string()
    .regex(/^\d{1,3}$/u, 'must be a whole number')
    .transform((s) => Math.min(200, Math.max(1, Number(s))))
    .optional()
    .transform((n) => n ?? 50),
  cursor: z.string().min(1).max(1024).optional(),
});

export const ROLE = z.enum(['viewer', 'editor', 'owner']);
export const roleBody = z.strictObject({ role: ROLE });
export const principalParams = z.strictObject({ kind: z.enum(['user', 'group']), principalId: ID });
