import { cellToParent, latLngToCell } from 'h3-js';
import { HierarchyError } from './privacy.errors';

/** A WGS84 point. */
export interface LatLng { lat: number; lng: number }

const EARTH_RADIUS_M = 6371008.8;

/** Parses "lat,lng" (or "lat lng"), checking ranges, naming the column on failure. */
export function parseLatLng(value: string, column = 'location'): LatLng {
  const parts = value.trim().split(/[,\s]+/);
  const lat = Number(parts[0]);
  const lng = Number(parts[1]);
  if (parts.length !== 2 || !Number.isFinite(lat) || !Number.isFinite(lng) || Math.abs(lat) > 90 || Math.abs(lng) > 180) {
    throw new HierarchyError(`Column "${column}": "${value}" is not a "lat,lng" coordinate`, { column, value });
  }
  return { lat, lng };
}

/** Truncates both coordinates to a number of decimals (floor, so coarser levels nest). */
export function truncateCoordinate(p: LatLng, decimals: number): string {
  const f = 10 ** decimals;
  const t = (x: number): string => (Math.floor(x * f + 1e-9) / f).toFixed(decimals);
  return `${t(p.lat)},${t(p.lng)}`;
}

/** Grid geometry: equirectangular projection at a fixed reference latitude (true squares there). */
function gridScale(refLatitude: number): { k: number; cosRef: number } {
  return { k: (Math.PI / 180) * EARTH_RADIUS_M, cosRef: Math.cos((refLatitude * Math.PI) / 180) };
}

/** Row and column of the square grid cell of `metres` containing a point. */
export function gridIndex(p: LatLng, metres: number, refLatitude = 0): { row: number; col: number } {
  if (!(metres > 0)) throw new HierarchyError('Grid size must be positive', { metres });
  const { k, cosRef } = gridScale(refLatitude);
  return { row: Math.floor((p.lat * k) / metres), col: Math.floor((p.lng * k * cosRef) / metres) };
}

/** Label of a grid cell: its centre as "lat,lng" with 6 decimals. */
export function gridLabel(row: number, col: number, metres: number, refLatitude = 0): string {
  const { k, cosRef } = gridScale(refLatitude);
  const lat = ((row + 0.5) * metres) / k;
  const lng = ((col + 0.5) * metres) / (k * cosRef);
  return `${lat.toFixed(6)},${lng.toFixed(6)}`;
}

/** Square grid cell of `metres` containing a point, labelled by its centre. */
export function gridCell(p: LatLng, metres: number, refLatitude = 0): string {
  const { row, col } = gridIndex(p, metres, refLatitude);
  return gridLabel(row, col, metres, refLatitude);
}

/** H3 cell index at a resolution (0..15), via h3-js. */
export function h3Cell(p: LatLng, resolution: number): string {
  return latLngToCell(p.lat, p.lng, resolution);
}

/** Coarser H3 cell of an index, so H3 levels nest exactly. */
export function h3Parent(cell: string, resolution: number): string {
  return cellToParent(cell, resolution);
}
