'use strict';
// A learning outcome's subsection chooser offers the subsections of the framework chosen beside it:
// the framework goes along with the chooser's search (?framework=, see SubsectionAdmin), and a new
// framework clears a subsection of another one. Set up once the page (and Django's jQuery) is loaded.
document.addEventListener('DOMContentLoaded', function() {
    const $ = window.django && window.django.jQuery;
    if (!$) {
        return;
    }
    $.ajaxPrefilter(function(options) {
        const query = typeof options.data === 'string' ? new URLSearchParams(options.data) : null;
        if (!query || query.get('model_name') !== 'learningoutcome' || query.get('field_name') !== 'subsection') {
            return;
        }
        const framework = document.getElementById('id_framework');
        if (framework && framework.value) {
            query.set('framework', framework.value);
            options.data = query.toString();
        }
    });
    // Django's related-object links fire 'change' on every chooser when the page loads: only a framework
    // that really differs from the one the subsection was chosen under clears it.
    let framework = $('#id_framework').val();
    $('#id_framework').on('change', function() {
        if ($(this).val() === framework) {
            return;
        }
        framework = $(this).val();
        $('#id_subsection').val(null).trigger('change');
    });
});
