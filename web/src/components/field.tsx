import type { ComponentChildren, PartialInputHTMLAttributes } from 'preact';
import { useId } from 'preact/hooks';

interface FieldShellProps {
  label: string;
  errors?: string[];
  hint?: ComponentChildren;
  children: (ids: {
    id: string;
    describedBy: string | undefined;
    invalid: boolean;
  }) => ComponentChildren;
}

/** A label, the control, a hint, and the API's reasons for rejecting it, tied together for assistive tech. */
function FieldShell({ label, errors = [], hint, children }: FieldShellProps) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = errors.length ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  return (
    <div class={errors.length ? 'field invalid' : 'field'}>
      <label for={id}>{label}</label>
      {children({ id, describedBy, invalid: errors.length > 0 })}
      {hint && (
        <p class="hint" id={hintId}>
          {hint}
        </p>
      )}
      {errors.length > 0 && (
        <p class="field-error" id={errorId}>
          {errors.join('; ')}
        </p>
      )}
    </div>
  );
}

interface TextFieldProps {
  label: string;
  value: string;
  onInput: (value: string) => void;
  errors?: string[];
  hint?: ComponentChildren;
  type?: 'text' | 'password';
  required?: boolean;
  rows?: number;
  placeholder?: string;
  autoComplete?: string;
  name?: string;
}

export function TextField(props: TextFieldProps) {
  return (
    <FieldShell label={props.label} errors={props.errors} hint={props.hint}>
      {({ id, describedBy, invalid }) =>
        props.rows ? (
          <textarea
            id={id}
            name={props.name}
            rows={props.rows}
            value={props.value}
            placeholder={props.placeholder}
            aria-invalid={invalid}
            aria-describedby={describedBy}
            onInput={(e) => props.onInput(e.currentTarget.value)}
          />
        ) : (
          <Input
            password={props.type === 'password'}
            id={id}
            name={props.name}
            value={props.value}
            required={props.required}
            placeholder={props.placeholder}
            autoComplete={props.autoComplete ?? 'off'}
            aria-invalid={invalid}
            aria-describedby={describedBy}
            onInput={(e) => props.onInput(e.currentTarget.value)}
          />
        )
      }
    </FieldShell>
  );
}

type InputProps = Omit<PartialInputHTMLAttributes<HTMLInputElement>, 'type' | 'role' | 'list'> & {
  password: boolean;
};

/** Preact types each input type apart; one component keeps the two we use in one place. */
function Input({ password, ...rest }: InputProps) {
  return password ? <input type="password" {...rest} /> : <input type="text" {...rest} />;
}

interface SelectFieldProps {
  label: string;
  value: string;
  onChange: (value: string) => void;
  options: { value: string; label: string }[];
  errors?: string[];
  hint?: ComponentChildren;
  name?: string;
}

export function SelectField(props: SelectFieldProps) {
  return (
    <FieldShell label={props.label} errors={props.errors} hint={props.hint}>
      {({ id, describedBy, invalid }) => (
        <select
          id={id}
          name={props.name}
          value={props.value}
          aria-invalid={invalid}
          aria-describedby={describedBy}
          onChange={(e) => props.onChange(e.currentTarget.value)}
        >
          {props.options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    </FieldShell>
  );
}

interface CheckFieldProps {
  label: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  hint?: ComponentChildren;
  errors?: string[];
}

export function CheckField({ label, checked, onChange, hint, errors = [] }: CheckFieldProps) {
  const id = useId();
  return (
    <div class={errors.length ? 'field check-field invalid' : 'field check-field'}>
      <label class="check" for={id}>
        <input
          id={id}
          type="checkbox"
          checked={checked}
          onChange={(e) => onChange(e.currentTarget.checked)}
        />{' '}
        {label}
      </label>
      {hint && <p class="hint">{hint}</p>}
      {errors.length > 0 && <p class="field-error">{errors.join('; ')}</p>}
    </div>
  );
}
