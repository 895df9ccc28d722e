import type { CellValue, ColumnSchema } from '../../src/catalogue/table-schema';
import { Rng } from './rng';

/** Generated tables of the demo city "Anytown": plausible, deterministic for a seed. */

/** A generated table. */
export interface DemoTable {
  columns: ColumnSchema[];
  rows: CellValue[][];
}

export const wards = [
  'Abbey', 'Castle', 'Riverside', 'Northgate', 'Southfields', 'Eastbrook',
  'Westmoor', 'Hillcrest', 'Market', 'Parkside', 'Station', 'Meadowbank',
] as const;

const centre = { lat: 52.4862, lon: -1.8904 };
const monthStart = Date.UTC(2026, 9, 1);
const days = 31;
const hour = 3600_000;

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const near = (rng: Rng, spread = 0.03) => ({
  lat: Rng.round(centre.lat + (rng.next() - 0.5) * spread * 2, 5),
  lon: Rng.round(centre.lon + (rng.next() - 0.5) * spread * 3, 5),
});
const letters = 'ABDEFGHJLNPQRSTUWXYZ';
/** A syntactically valid full postcode in one of the town's districts (AT1–AT6). */
export const postcode = (rng: Rng, district = rng.int(1, 6)) =>
  `AT${district} ${rng.int(1, 9)}${rng.pick(letters.split(''))}${rng.pick(letters.split(''))}`;

const col = (name: string, type: ColumnSchema['type'], description: string, unit?: string): ColumnSchema => ({
  name,
  type,
  description,
  ...(unit ? { unit } : {}),
});

/** Air-quality sensor sites. */
export function airQualitySites(rng: Rng): DemoTable {
  const rows: CellValue[][] = [];
  for (let i = 1; i <= 20; i++) {
    const p = near(rng);
    rows.push([`AQ${String(i).padStart(3, '0')}`, `${wards[(i - 1) % wards.length]} ${rng.pick(['Road', 'Street', 'Park', 'School', 'Junction'])}`, wards[(i - 1) % wards.length], p.lat, p.lon, rng.pick(['roadside', 'urban background', 'kerbside']), '2024-04-01']);
  }
  return {
    columns: [
      col('sensor_id', 'string', 'Sensor identifier'),
      col('site_name', 'string', 'Where the sensor is'),
      col('ward', 'string', 'Electoral ward'),
      col('latitude', 'number', 'WGS84 latitude', 'degrees'),
      col('longitude', 'number', 'WGS84 longitude', 'degrees'),
      col('site_type', 'string', 'Roadside, kerbside or urban background'),
      col('installed', 'date', 'Date the sensor was installed'),
    ],
    rows,
  };
}

/** Hourly PM2.5, PM10 and NO2 from 20 sensors over October 2026. */
export function airQualityHourly(rng: Rng, sites: DemoTable): DemoTable {
  const rows: CellValue[][] = [];
  for (let h = 0; h < days * 24; h++) {
    const t = monthStart + h * hour;
    const hod = h % 24;
    const rush = (hod >= 7 && hod <= 9) || (hod >= 16 && hod <= 18) ? 1.6 : hod < 5 ? 0.6 : 1;
    for (const s of sites.rows) {
      const roadside = s[5] !== 'urban background' ? 1.3 : 1;
      const pm25 = Math.max(1, rng.normal(9 * rush * roadside, 3));
      rows.push([s[0], iso(t), Rng.round(pm25, 1), Rng.round(pm25 * 1.7 + Math.abs(rng.normal(2, 2)), 1), Rng.round(Math.max(2, rng.normal(24 * rush * roadside, 7)), 1)]);
    }
  }
  return {
    columns: [
      col('sensor_id', 'string', 'Sensor identifier (see the sensor sites dataset)'),
      col('timestamp', 'datetime', 'Start of the hour, UTC'),
      col('pm25', 'number', 'Fine particulate matter, hourly mean', 'µg/m³'),
      col('pm10', 'number', 'Particulate matter, hourly mean', 'µg/m³'),
      col('no2', 'number', 'Nitrogen dioxide, hourly mean', 'µg/m³'),
    ],
    rows,
  };
}

const carParkNames = ['Market Street', 'Castle Quay', 'Station Road', 'Riverside', 'Abbey Walk', 'Northgate Multi-storey', 'Leisure Centre', 'Hospital Visitors'];

/** Council car parks. */
export function carParks(rng: Rng): DemoTable {
  return {
    columns: [
      col('car_park_id', 'string', 'Car park identifier'),
      col('name', 'string', 'Car park name'),
      col('capacity', 'integer', 'Number of spaces', 'spaces'),
      col('disabled_spaces', 'integer', 'Blue badge spaces', 'spaces'),
      col('ev_spaces', 'integer', 'Spaces with a charger', 'spaces'),
      col('latitude', 'number', 'WGS84 latitude', 'degrees'),
      col('longitude', 'number', 'WGS84 longitude', 'degrees'),
      col('tariff_per_hour', 'number', 'Daytime tariff', 'GBP'),
    ],
    rows: carParkNames.map((name, i) => {
      const p = near(rng, 0.01);
      const capacity = rng.int(8, 60) * 10;
      return [`CP${i + 1}`, name, capacity, Math.round(capacity * 0.06), rng.int(2, 12), p.lat, p.lon, Rng.round(rng.pick([1.2, 1.5, 1.8, 2.0]), 2)];
    }),
  };
}

/** Hourly occupancy of each car park over October 2026. */
export function carParkOccupancy(rng: Rng, parks: DemoTable): DemoTable {
  const rows: CellValue[][] = [];
  for (let h = 0; h < days * 24; h++) {
    const t = monthStart + h * hour;
    const d = new Date(t);
    const hod = d.getUTCHours();
    const weekend = d.getUTCDay() === 0 || d.getUTCDay() === 6;
    const shape = hod < 7 || hod > 20 ? 0.08 : Math.sin(((hod - 7) / 13) * Math.PI) * (weekend ? 0.95 : 0.8);
    for (const p of parks.rows) {
      const capacity = Number(p[2]);
      const occupied = Math.min(capacity, Math.max(0, Math.round(capacity * (shape + rng.normal(0.05, 0.05)))));
      rows.push([p[0], iso(t), occupied, capacity - occupied]);
    }
  }
  return {
    columns: [
      col('car_park_id', 'string', 'Car park identifier (see the car parks dataset)'),
      col('timestamp', 'datetime', 'Time of the count, UTC'),
      col('occupied', 'integer', 'Spaces occupied', 'spaces'),
      col('free', 'integer', 'Spaces free', 'spaces'),
    ],
    rows,
  };
}

/** Bus stops. */
export function busStops(rng: Rng): DemoTable {
  const streets = ['High Street', 'Church Lane', 'Station Road', 'Mill Lane', 'Park Avenue', 'London Road', 'Victoria Road', 'Queen Street', 'School Lane', 'Bridge Street', 'Green Lane', 'Manor Road'];
  const rows: CellValue[][] = [];
  for (let i = 1; i <= 320; i++) {
    const p = near(rng, 0.05);
    const routes = [...new Set(Array.from({ length: rng.int(1, 3) }, () => String(rng.int(1, 24))))].sort((a, b) => Number(a) - Number(b));
    rows.push([`2400A${String(10000 + i * 7)}`, `${rng.pick(streets)} (${rng.pick(['stop A', 'stop B', 'opp', 'adj', 'o/s shops'])})`, rng.pick(wards), p.lat, p.lon, routes.join(' '), rng.next() < 0.6]);
  }
  return {
    columns: [
      col('atco_code', 'string', 'National stop code (NaPTAN ATCO code)'),
      col('name', 'string', 'Stop name'),
      col('ward', 'string', 'Electoral ward'),
      col('latitude', 'number', 'WGS84 latitude', 'degrees'),
      col('longitude', 'number', 'WGS84 longitude', 'degrees'),
      col('routes', 'string', 'Bus routes serving the stop, space separated'),
      col('shelter', 'boolean', 'Whether the stop has a shelter'),
    ],
    rows,
  };
}

/** Council payments over £500 in the 2026/27 financial year to date. */
export function spending(rng: Rng): DemoTable {
  const suppliers = ['Anytown Building Services Ltd', 'GreenFleet Vehicle Hire', 'Midshire County Council', 'Clearway Waste Solutions', 'BrightLights Maintenance', 'Civic IT Partners', 'Kingfisher Catering', 'Pennine Paper Supplies', 'Northgate Legal LLP', 'Safeguard Security Ltd', 'Riverside Housing Trust', 'Oak Tree Consultancy'];
  const departments = ['Environmental Health', 'Transport and Highways', 'Finance', 'Waste and Recycling', 'Adult Social Care', 'Housing', 'Leisure and Culture'];
  const categories = ['Repairs and maintenance', 'Vehicle hire', 'Professional fees', 'Waste disposal', 'Energy', 'IT software', 'Catering', 'Grants', 'Agency staff'];
  const rows: CellValue[][] = [];
  const start = Date.UTC(2026, 3, 1);
  for (let i = 1; i <= 1500; i++) {
    const t = start + rng.int(0, 210) * 24 * hour;
    const amount = Rng.round(500 + Math.exp(rng.normal(7.5, 1.3)), 2);
    rows.push([`TX${String(202600000 + i)}`, isoDate(t), rng.pick(departments), rng.pick(suppliers), rng.pick(categories), amount, rng.next() < 0.1 ? 'Purchase card' : 'BACS']);
  }
  rows.sort((a, b) => String(a[1]).localeCompare(String(b[1])) || String(a[0]).localeCompare(String(b[0])));
  return {
    columns: [
      col('transaction_id', 'string', 'Transaction reference'),
      col('payment_date', 'date', 'Date of payment'),
      col('department', 'string', 'Council department'),
      col('supplier', 'string', 'Supplier (organisations only; payments to individuals are not listed)'),
      col('category', 'string', 'Expense category'),
      col('amount', 'number', 'Amount paid, excluding VAT', 'GBP'),
      col('payment_method', 'string', 'How it was paid'),
    ],
    rows,
  };
}

/** Monthly household recycling rates by ward, April 2025 to October 2026. */
export function recycling(rng: Rng): DemoTable {
  const rows: CellValue[][] = [];
  for (let m = 0; m < 19; m++) {
    const month = new Date(Date.UTC(2025, 3 + m, 1)).toISOString().slice(0, 7);
    for (const w of wards) {
      const collected = Rng.round(rng.normal(420, 60), 1);
      const rate = Math.min(0.7, Math.max(0.25, rng.normal(0.46, 0.06)));
      rows.push([month, w, collected, Rng.round(collected * rate, 1), Rng.round(rate * 100, 1)]);
    }
  }
  return {
    columns: [
      col('month', 'string', 'Month (YYYY-MM)'),
      col('ward', 'string', 'Electoral ward'),
      col('household_waste_tonnes', 'number', 'Household waste collected', 'tonnes'),
      col('recycled_tonnes', 'number', 'Sent for recycling or composting', 'tonnes'),
      col('recycling_rate', 'number', 'Share recycled or composted', '%'),
    ],
    rows,
  };
}

/** Monthly street-lighting energy by ward. */
export function streetLighting(rng: Rng): DemoTable {
  const rows: CellValue[][] = [];
  for (let m = 0; m < 19; m++) {
    const d = new Date(Date.UTC(2025, 3 + m, 1));
    const winter = Math.cos(((d.getUTCMonth() + 0.5) / 12) * 2 * Math.PI) * 0.35 + 1;
    for (const w of wards) {
      const lights = 600 + (w.length * 97) % 500;
      const led = Math.min(1, 0.55 + m * 0.02);
      rows.push([d.toISOString().slice(0, 7), w, lights, Rng.round(led * 100, 0), Math.round(lights * winter * (led * 22 + (1 - led) * 55) * (1 + rng.normal(0, 0.03)))]);
    }
  }
  return {
    columns: [
      col('month', 'string', 'Month (YYYY-MM)'),
      col('ward', 'string', 'Electoral ward'),
      col('street_lights', 'integer', 'Street lights in the ward'),
      col('led_percent', 'integer', 'Share converted to LED', '%'),
      col('energy_kwh', 'integer', 'Electricity used', 'kWh'),
    ],
    rows,
  };
}

/** Electric-vehicle charge points. */
export function chargePoints(rng: Rng): DemoTable {
  const rows: CellValue[][] = [];
  for (let i = 1; i <= 42; i++) {
    const p = near(rng, 0.04);
    rows.push([`EV${String(i).padStart(3, '0')}`, `${rng.pick(wards)} ${rng.pick(['car park', 'on-street', 'leisure centre', 'library'])}`, p.lat, p.lon, rng.pick([7, 7, 22, 50]), rng.int(1, 4), rng.pick(['Type 2', 'Type 2', 'CCS', 'CHAdeMO']), Rng.round(rng.pick([0.45, 0.55, 0.69, 0.79]), 2)]);
  }
  return {
    columns: [
      col('charge_point_id', 'string', 'Charge point identifier'),
      col('location', 'string', 'Where it is'),
      col('latitude', 'number', 'WGS84 latitude', 'degrees'),
      col('longitude', 'number', 'WGS84 longitude', 'degrees'),
      col('power_kw', 'integer', 'Maximum power', 'kW'),
      col('connectors', 'integer', 'Number of connectors'),
      col('connector_type', 'string', 'Connector standard'),
      col('price_per_kwh', 'number', 'Price', 'GBP per kWh'),
    ],
    rows,
  };
}

/** Daily traffic counts at automatic counters. */
export function trafficCounts(rng: Rng): DemoTable {
  const rows: CellValue[][] = [];
  const counters = Array.from({ length: 15 }, (_, i) => [`TC${String(i + 1).padStart(2, '0')}`, rng.int(4000, 28000)] as const);
  for (let d = 0; d < days; d++) {
    const t = monthStart + d * 24 * hour;
    const dow = new Date(t).getUTCDay();
    const f = dow === 0 ? 0.7 : dow === 6 ? 0.85 : 1;
    for (const [id, base] of counters) {
      const total = Math.round(base * f * (1 + rng.normal(0, 0.05)));
      rows.push([id, isoDate(t), total, Math.round(total * rng.normal(0.82, 0.02)), Math.round(total * rng.normal(0.06, 0.01)), Math.round(total * rng.normal(0.03, 0.01))]);
    }
  }
  return {
    columns: [
      col('counter_id', 'string', 'Automatic traffic counter'),
      col('date', 'date', 'Day of the count'),
      col('all_vehicles', 'integer', 'Vehicles counted, both directions'),
      col('cars', 'integer', 'Cars and taxis'),
      col('goods_vehicles', 'integer', 'Light and heavy goods vehicles'),
      col('cycles', 'integer', 'Pedal cycles'),
    ],
    rows,
  };
}

/** Monthly library visits. */
export function libraryVisits(rng: Rng): DemoTable {
  const libraries = ['Central Library', 'Northgate Library', 'Eastbrook Library', 'Westmoor Library', 'Hillcrest Library', 'Mobile Library'];
  const rows: CellValue[][] = [];
  for (let m = 0; m < 19; m++) {
    const month = new Date(Date.UTC(2025, 3 + m, 1)).toISOString().slice(0, 7);
    libraries.forEach((name, i) => {
      const visits = Math.round((i === 0 ? 14000 : i === 5 ? 900 : 3500) * (1 + rng.normal(0, 0.08)));
      rows.push([month, name, visits, Math.round(visits * rng.normal(0.55, 0.05)), Math.round(visits * rng.normal(0.12, 0.02))]);
    });
  }
  return {
    columns: [
      col('month', 'string', 'Month (YYYY-MM)'),
      col('library', 'string', 'Library'),
      col('visits', 'integer', 'Visits counted at the door'),
      col('loans', 'integer', 'Items borrowed'),
      col('computer_sessions', 'integer', 'Public computer sessions'),
    ],
    rows,
  };
}

/** Electoral wards. */
export function wardTable(rng: Rng): DemoTable {
  return {
    columns: [
      col('ward_code', 'string', 'ONS ward code'),
      col('ward', 'string', 'Ward name'),
      col('population', 'integer', 'Mid-2025 population estimate', 'people'),
      col('households', 'integer', 'Households', 'households'),
      col('area_hectares', 'number', 'Area', 'hectares'),
      col('councillors', 'integer', 'Number of councillors'),
    ],
    rows: wards.map((w, i) => {
      const population = rng.int(9000, 16000);
      return [`E05099${String(100 + i)}`, w, population, Math.round(population / rng.normal(2.35, 0.1)), Rng.round(rng.normal(420, 120), 1), 3];
    }),
  };
}

/** Public toilets. */
export function publicToilets(rng: Rng): DemoTable {
  const rows: CellValue[][] = [];
  for (let i = 1; i <= 16; i++) {
    const p = near(rng, 0.03);
    rows.push([`PT${i}`, `${rng.pick(wards)} ${rng.pick(['Park', 'Bus Station', 'Market Hall', 'Car Park', 'Library'])}`, p.lat, p.lon, rng.next() < 0.8, rng.next() < 0.5, rng.next() < 0.25, rng.pick(['07:00-19:00', '08:00-18:00', '24 hours', '09:00-17:00'])]);
  }
  return {
    columns: [
      col('toilet_id', 'string', 'Identifier'),
      col('location', 'string', 'Where it is'),
      col('latitude', 'number', 'WGS84 latitude', 'degrees'),
      col('longitude', 'number', 'WGS84 longitude', 'degrees'),
      col('accessible', 'boolean', 'Wheelchair accessible'),
      col('baby_change', 'boolean', 'Baby changing facilities'),
      col('changing_places', 'boolean', 'Changing Places facility'),
      col('opening_hours', 'string', 'Opening hours'),
    ],
    rows,
  };
}
