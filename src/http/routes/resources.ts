import { z } from 'zod';
import { resourceKinds, type ResourceCollection } from '../../domain/resources/resource.ts';
import { defineRoute } from '../route.ts';
import { idParams, pageQuery } from './schemas.ts';
import { ownedResource, resourcePage } from '../schemas/resources.ts';

const resourceBody = z.object({ name: z.string().max(200), content: z.unknown().optional() });

/** The same five routes for agents, workflows, memory and documents, each behind its Manage* permission for writes. */
function routesFor(collection: ResourceCollection) {
  const { kind, managePermission } = resourceKinds[collection];
  const url = `/api/v1/${collection}`;
  return [
    defineRoute({
      method: 'GET',
      url,
      summary: `The tenant's ${collection}`,
      tag: collection,
      access: 'authenticated',
      query: pageQuery,
      response: resourcePage,
      async handler({ actor, query, services }) {
        return services.resources.list(actor, collection, query);
      },
    }),
    defineRoute({
      method: 'GET',
      url: `${url}/:id`,
      summary: `One ${kind}`,
      tag: collection,
      access: 'authenticated',
      params: idParams,
      response: ownedResource,
      async handler({ actor, params, services }) {
        return services.resources.get(actor, collection, params.id);
      },
    }),
    defineRoute({
      method: 'POST',
      url,
      summary: `Create a ${kind}, owned by you`,
      tag: collection,
      access: { permission: managePermission },
      status: 201,
      body: resourceBody,
      response: ownedResource,
      async handler({ actor, body, services }) {
        return services.resources.create(actor, collection, body);
      },
    }),
    defineRoute({
      method: 'PATCH',
      url: `${url}/:id`,
      summary: `Edit a ${kind}`,
      tag: collection,
      access: { permission: managePermission },
      params: idParams,
      body: resourceBody.partial(),
      response: ownedResource,
      async handler({ actor, params, body, services }) {
        return services.resources.update(actor, collection, params.id, body);
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: `${url}/:id`,
      summary: `Delete a ${kind}`,
      tag: collection,
      access: { permission: managePermission },
      status: 204,
      params: idParams,
      async handler({ actor, params, services }) {
        await services.resources.delete(actor, collection, params.id);
      },
    }),
  ];
}

export const resourceRoutes = (Object.keys(resourceKinds) as ResourceCollection[]).flatMap(routesFor);
