/**
 * React chooses its development or its production build when it is first imported, by `NODE_ENV`. The
 * console is a long-running display, where the development build costs several times the CPU per frame;
 * `render-console.ts` imports this module first, before Ink and React, so the console gets the
 * production build unless NODE_ENV says otherwise.
 */
process.env.NODE_ENV ??= 'production';
