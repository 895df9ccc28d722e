// Progress bar for the upload form (progressive enhancement: without this script the form posts
// normally and the server redirects to the import result). Sends the same multipart body with
// XMLHttpRequest so upload progress can be shown, then goes to the result page.
const form = document.querySelector('form[data-upload-form]');

if (form && window.XMLHttpRequest && window.FormData) {
  const box = document.getElementById('upload-progress');
  const bar = document.getElementById('upload-progress-bar');
  const label = document.getElementById('upload-progress-label');
  const errorBox = document.getElementById('upload-error');
  const errorText = document.getElementById('upload-error-message');
  const button = form.querySelector('button[type="submit"]');

  const showError = (message) => {
    errorText.textContent = message;
    errorBox.hidden = false;
    box.hidden = true;
    button.disabled = false;
    errorBox.focus();
    errorBox.scrollIntoView();
  };

  form.addEventListener('submit', (event) => {
    const file = form.querySelector('input[type="file"]');
    if (!file.files || file.files.length === 0) return; // let the server explain
    event.preventDefault();
    const data = new FormData(form);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', form.action);
    xhr.setRequestHeader('X-Requested-With', 'XMLHttpRequest');
    xhr.setRequestHeader('X-CSRF-Token', data.get('_csrf'));
    xhr.responseType = 'json';
    box.hidden = false;
    errorBox.hidden = true;
    button.disabled = true;
    bar.value = 0;
    label.textContent = 'Uploading…';
    xhr.upload.addEventListener('progress', (e) => {
      if (!e.lengthComputable) return;
      bar.value = Math.round((e.loaded / e.total) * 100);
      label.textContent = e.loaded < e.total ? `Uploading… ${bar.value}%` : 'Checking and storing the data…';
    });
    xhr.addEventListener('load', () => {
      const body = xhr.response || {};
      if (xhr.status === 201 && body.redirect) {
        bar.value = 100;
        window.location.assign(body.redirect);
      } else {
        showError((body.error && body.error.message) || `The upload failed (status ${xhr.status}).`);
      }
    });
    xhr.addEventListener('error', () => showError('The upload was interrupted. Check your connection and try again.'));
    xhr.send(data);
  });
}
