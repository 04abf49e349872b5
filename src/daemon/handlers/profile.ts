/**
 * Recovery profiles (src/daemon/profiles.ts, docs/recovery.md): profile.list,
 * node.applyProfile (writes the keys into matching node records) and iface.applyProfile
 * (sets the iface default nodes inherit at login).
 */
import { ifaceApplyProfile } from '../../control/methods/iface-apply-profile.js';
import { nodeApplyProfile } from '../../control/methods/node-apply-profile.js';
import { profileList } from '../../control/methods/profile-list.js';
import type { AnyMethod } from '../../control/method.js';
import { notFound } from '../../db/warnings.js';
import { firstErrnoOf, itemErrorOf } from '../outcomes.js';
import { PROFILE_NAMES, PROFILES, profileOf } from '../profiles.js';
import { bind, type HandlerContext } from './context.js';
import { findOrFail } from './node.js';

export function profileMethods(ctx: HandlerContext): AnyMethod[] {
  return [
    bind(profileList, () => ({
      profiles: PROFILE_NAMES.map((n) => ({ name: n, description: PROFILES[n].description, values: { ...PROFILES[n].values } })),
      ifaces: ctx.profiles.entries(),
    })),
    bind(nodeApplyProfile, async (p) => {
      const profile = profileOf(p.profile);
      const results = [];
      const relogin: number[] = [];
      for (const e of await findOrFail(ctx, p)) {
        try {
          await ctx.store.updateNode(e.key, { ...profile.values }, { isBusy: (k) => ctx.sessions.isBusy(k) });
          results.push({ node: e.key });
          if (ctx.sessions.isBusy(e.key)) relogin.push(...ctx.sessions.list().filter((s) => sameNode(s.key, e.key)).map((s) => s.sid));
        } catch (err) {
          results.push({ node: e.key, error: itemErrorOf(err) });
        }
      }
      ctx.log.info({ profile: profile.name, records: results.length, relogin }, `profile ${profile.name} applied to node records`);
      return { profile: profile.name, values: { ...profile.values }, results, relogin, firstErrno: firstErrnoOf(results) };
    }),
    bind(ifaceApplyProfile, async (p) => {
      if (!(await ctx.store.ifaces.get(p.name))) throw notFound(`iface ${p.name}`, { iface: p.name });
      const profile = p.profile === 'none' ? undefined : profileOf(p.profile);
      await ctx.profiles.set(p.name, profile?.name);
      const nodes = (await ctx.store.listNodes()).items.filter((e) => e.key.iface === p.name).map((e) => e.key);
      ctx.log.info({ iface: p.name, profile: profile?.name ?? null, nodes: nodes.length }, 'iface default profile set');
      return { name: p.name, profile: profile?.name ?? null, values: profile ? { ...profile.values } : {}, nodes };
    }),
  ];
}

function sameNode(a: { target: string; address: string; port: number; tpgt: number; iface: string }, b: typeof a): boolean {
  return a.target === b.target && a.address === b.address && a.port === b.port && a.tpgt === b.tpgt && a.iface === b.iface;
}
