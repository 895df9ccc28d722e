// Starts govuk-frontend's components; the page works without it.
import { initAll } from '/javascripts/govuk-frontend.min.js';

document.body.classList.add('govuk-frontend-supported', 'js-enabled');
initAll();
